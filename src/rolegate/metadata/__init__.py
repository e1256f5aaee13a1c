"""Instance-metadata and container credential endpoints, and the node agent that serves them. Rules, not
HTTP or SQL. (Not written yet: the package exists so the import contracts already hold it.)"""
