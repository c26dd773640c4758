"""Read-side services the API and the web app share: the audit log, record timelines and the
dashboard's figures. Routes call these; they hold the queries."""
