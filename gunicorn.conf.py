"""gunicorn's settings, read from the directory it starts in (``make stack``, the image).

Its access and error logs go through the redaction the application's logs use
(``platform_gov/logging.py``): a request line to a tracking page carries the resident's key.
"""

logger_class = "platform_gov.logging.GunicornLogger"
