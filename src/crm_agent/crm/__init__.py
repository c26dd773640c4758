"""The embedded CRM: HubSpot-shaped objects, properties, associations, search and import."""
