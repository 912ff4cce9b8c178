"""Schema files shipped with sheetsync (installed as ``sheetsync._schemas``)."""
