"""`prefstore review`: a local web page over one store (Starlette + uvicorn + Jinja2, no build step).

`app.create_app` builds the ASGI app (one module per view in `views/`,
templates in `templates/`, one JS and one CSS file in `static/`);
`server.serve` runs it on a socket the caller bound; `report.write_report`
writes the overview as one self-contained HTML file. The data come from
`prefstore.browse`; writes go through `PreferenceStore.exclude/flip/note/undo`.
"""
