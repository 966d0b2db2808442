"""The butlers' page (``sixplustwo serve``): a second edge beside ``cli/``, over the same
store. Needs the ``serve`` extra (Starlette, Jinja2, uvicorn, argon2-cffi, itsdangerous,
python-multipart); the CLI imports none of it until ``serve`` runs."""
