"""The aiohttp web application: /metrics, /coverage, /-/healthy, /-/ready and the JSON API."""
