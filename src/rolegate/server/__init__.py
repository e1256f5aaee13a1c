"""The composition root: settings, the concrete store, the ASGI application and its middleware order."""
