"""The Starlette app, settings, authentication and the `orchestra` command line."""
