"""How much one request may ask for: the bounds the CLI, the web routes, the SQL functions and
the templates all state and enforce, written once."""

MAX_QUERY_CHARS = 500     # a search question; longer is refused with a message, never cut silently
MAX_QUERY_TERMS = 32      # distinct jieba terms of a question that are searched
MAX_RESULTS = 100         # `limit` of a search, `k` of semantic_search()
DEFAULT_RESULTS = 20      # results a page or a web selection shows when no limit is given
MAX_COMPARED = 8          # cases side by side: what a screen and a printed page can still hold
MAX_PACK_CASES = 100      # cases in one course pack or one id list
MECHANISM_PAGE_CASES = 50  # cases (with their evidence) on one page of /-/mechanisms/<id>; ?page= for the rest
MAX_TITLE_CHARS = 200     # the `title` a trainer gives a course pack
# jieba_cut() in SQL: the longest bundled case body is 4,293 characters; 10,000 cut in about 70 ms,
# while unbounded calls (a few MB each) held the interpreter for seconds and stalled every search.
MAX_CUT_CHARS = 10_000
# One string or blob (or row) in the site's SQL: bounds printf('%.*c', 1e9, 'x') or zeroblob(1e9);
# the largest value in the case base is a few KB.
MAX_SQL_VALUE_BYTES = 16 * 2**20

# The site's own work (search, comparisons, packs) runs on a small pool beside Datasette's SQL threads.
WORK_THREADS = 2          # workers; the encoder is single-threaded anyway (index.search.QUERY_THREADS)
WORK_QUEUE = 64           # requests that may wait for a worker; beyond that: 503 with Retry-After. A waiting
                          # request holds only its parameters, and REQUEST_SECONDS bounds its wait; 64 lets
                          # 50 concurrent visitors queue (bench/load.py) rather than be turned away
REQUEST_SECONDS = 5       # a plugin request still running after this is answered 503; its SQL is interrupted
RETRY_AFTER_SECONDS = 5   # what a 503 tells the client to wait

# The build uses both cores of the machine it was sized for: jieba runs in this many worker processes
# (kbcore.parallel) and the encoder in this many threads; fewer items than PARALLEL_MIN_ITEMS stay in
# the building process, since starting a worker costs about a second.
BUILD_WORKERS = 2
PARALLEL_MIN_ITEMS = 16

# The build. A corpus file above this is refused, naming it and its size: the largest bundled file
# is 26 KB and a whole book is a few MB, while a 50 MB file took over 300 s and 2.2 GB to build.
MAX_SOURCE_BYTES = 20 * 2**20
# `casekb add` of a .doc or .wps: LibreOffice converting one file to .docx is stopped after this.
CONVERT_SECONDS = 120

# One request to the site, checked before Datasette reads it (the casekb plugin's middleware):
# Datasette's table view parses the whole query string again for each parameter, so the cost of a
# URL grows with the square of its parameter count, and each `_facet` is one more grouped query.
MAX_QUERY_STRING_BYTES = 32 * 1024  # a refused 3,000-character question still gets its 400; longer is 414
MAX_QUERY_PARAMETERS = 64           # a table page with every filter set uses about 20; more is 400
MAX_FACETS = 10                     # parameters starting `_facet` (_facet, _facet_array, _facet_date, …)

# `casekb add`: one document from outside (by e-mail) cannot exhaust the curator's machine
# (ingest/formats/guards.py). Each is checked before the work it bounds.
MAX_DOCUMENT_BYTES = 100 * 2**20          # a .docx, .pdf or image as received, by its size before it is read
MAX_WEB_PAGE_BYTES = 5 * 2**20            # an .html page: trafilatura's time grows faster than the page
MAX_INFLATED_MEMBER_BYTES = 64 * 2**20    # one part of a .docx (a zip) inflated; python-docx holds its XML tree
MAX_INFLATED_BYTES = 256 * 2**20          # all its parts inflated
MAX_PDF_PAGES = 2000                      # pages of one PDF
MAX_OCR_PAGES = 100                       # scanned pages of one document read by OCR
MAX_RENDER_PIXELS = 40_000_000            # one page or image for OCR; A0 at 150 dpi is 35 million
MAX_READ_SECONDS = 30 * 60                # reading one document, OCR included

# The served process (casekb serve, casekb.serve): a client gets this long to send a request's headers,
# from the moment it connects; an idle socket is closed after it, so idle sockets cannot hold the file
# descriptors. Each worker process holds at most SERVER_CONNECTIONS connections at once (the rest wait
# in the listen backlog), never more than its file limit leaves after FILE_RESERVE for its own files.
HEADER_TIMEOUT_SECONDS = 10
SERVER_CONNECTIONS = 512
FILE_RESERVE = 64
SERVER_BACKLOG = 1024
SHUTDOWN_SECONDS = 10      # SIGTERM: requests in flight get this long, then the workers are killed

# Answers the same for every visitor of immutable files (the plugin's shared_answers.py) are kept per worker
# process: at most SHARED_ANSWERS_BYTES in all, an answer longer than SHARED_ANSWER_BYTES (a big CSV) is
# streamed and not kept. A shared cache (proxy, CDN) may serve one for SHARED_MAX_AGE_SECONDS, then asks
# again with its ETag (304).
SHARED_ANSWERS_BYTES = 64 * 2**20
SHARED_ANSWER_BYTES = 2 * 2**20
SHARED_MAX_AGE_SECONDS = 300
# Datasette suggests facets on a table page with one query per column and facet kind, each stopped after
# this many ms (Datasette's own default, 50, made a 100k-passage table page cost over a second); on the
# bundled tables every suggestion still finishes well within it.
FACET_SUGGEST_MS = 5
