"""Page routers of the web app, one module per page group."""
