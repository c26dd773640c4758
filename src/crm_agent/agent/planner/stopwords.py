"""Words that cannot be the company, industry or place a set phrase names ("all open deals", "companies
in the CRM", "the average deal size"): filter words, determiners, states and aggregates."""

NOT_INDUSTRY = {
    "the",
    "all",
    "our",
    "my",
    "many",
    "which",
    "what",
    "any",
    "those",
    "these",
    "new",
    "open",
    "big",
    "biggest",
    "largest",
    "top",
    "list",
    "show",
    "of",
    "other",
    "some",
    "every",
    "customer",
    "target",
}


NOT_COMPANY = {
    "in",
    "with",
    "who",
    "that",
    "which",
    "owned",
    "closing",
    "not",
    "and",
    "or",
    "created",
    "over",
    "under",
    "above",
    "below",
    "to",
    "now",
    "as",
    "go",
    "goes",
    "should",
    "are",
    "is",
    "this",
    "last",
    "next",
    "all",
    "every",
    "each",
    "my",
    "our",
}


STATE_WORDS = {
    "open",
    "closed",
    "won",
    "lost",
    "new",
    "active",
    "stale",
    "old",
    "remaining",
    "other",
    "current",
    "existing",
}


NOT_PLACE = {"crm", "system", "database", "db", "hubspot", "here", "there", "total", "pipeline", "book", "list", "app"}
