"""gunicorn reads this file from its working directory (/app in the image) by default.

Only logging: with JSON logs (production, or LOG_FORMAT=json) gunicorn's own lines (boot,
worker timeouts) are JSON too, so a log collector gets one format from the web container.
The app's records and its access line have their own handler (webapp/logs.py); the root
logger is left to it, so nothing is written twice.
"""
import os

_production = os.environ.get("UPPFOLJNING_ENV", "development") == "production"
if os.environ.get("LOG_FORMAT", "json" if _production else "text").strip().lower() == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "root": {"level": "INFO", "handlers": []},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["json"], "propagate": False,
                               "qualname": "gunicorn.error"},
            # Nowhere: with a logging config gunicorn writes its own access line, and that
            # line has the query string and a personal link's token (seen in the compose
            # run). The app writes the access line without them.
            "gunicorn.access": {"level": "INFO", "handlers": ["null"], "propagate": False,
                                "qualname": "gunicorn.access"},
        },
        "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json",
                              "stream": "ext://sys.stderr"},
                     "null": {"class": "logging.NullHandler"}},
        "formatters": {"json": {"()": "webapp.logs.JsonFormatter"}},
    }
