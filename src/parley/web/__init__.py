"""The HTML adapter: server-rendered pages (Jinja2) enhanced with htmx."""
