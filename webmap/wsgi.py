"""The WSGI entry point for a production server: ``gunicorn webmap.wsgi:app``.

``ntm serve`` runs gunicorn on it with the settings of ``webmap/settings.py``; use this module
directly only to run another WSGI server. Refuses to start without ``NTM_SECRET_KEY``.
"""

from webmap.app import create_app

app = create_app(production=True)
