"""The one authorization decision service: principal + action + resources + context (+ a resource or trust
policy) -> a decision with its explanation. Below iam and sts; knows no HTTP and no SQL. (Not written yet:
the package exists so the import contracts already hold it.)"""
