"""HTTP serving: the listener, the WSGI server and the routes of the gateway."""
