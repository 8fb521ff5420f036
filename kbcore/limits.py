"""How much one request may ask for: the bounds the CLI, the web routes, the SQL functions and
the templates all state and enforce, written once."""

MAX_QUERY_CHARS = 500     # a search question; longer is refused with a message, never cut silently
MAX_QUERY_TERMS = 32      # distinct jieba terms of a question that are searched
MAX_RESULTS = 100         # `limit` of a search, `k` of semantic_search()
DEFAULT_RESULTS = 20      # results a page or a web selection shows when no limit is given
MAX_COMPARED = 8          # cases side by side: what a screen and a printed page can still hold
MAX_PACK_CASES = 100      # cases in one course pack or one id list
