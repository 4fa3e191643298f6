"""The web UI and REST API: thin layers over the Collection API."""
