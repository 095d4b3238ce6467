"""Plain-Python parts of the connector: nothing here imports the Odoo ORM."""
