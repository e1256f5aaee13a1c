"""Analysis: simulation, the access graph ("who can assume what"), findings, import of real account data.
Rules, not HTTP or SQL. (Not written yet: the package exists so the import contracts already hold it.)"""
