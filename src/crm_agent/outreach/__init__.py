"""Outbound email: drafts, operator approval, validation, quotas, suppression, templates,
unsubscribe links and exactly-once sending over a Maildir outbox or SMTP (docs/email.md).

``service.OutreachService`` is the entry point; ``compliance`` holds the checks, ``transports``
the ways of sending, ``templates`` the Jinja2 catalogue, ``unsubscribe`` the signed links.
"""
