"""Every limit on what a briefing, a data file, a theme or a room may ask of the machine.

A briefing is emailed around and run in public meetings: these bounds keep any input to a
clear error within seconds and a couple of gigabytes.  They live in one place so the docs'
"Security and limits" page (docs/reference/limits.md, generated from here) is true, and each
is named in the error that enforces it.
"""

from __future__ import annotations

# Files
MAX_YAML_BYTES = 2_000_000  # a scene, theme or room file
MAX_YAML_NODES = 200_000  # mappings, lists and values, counting each alias expansion
MAX_YAML_DEPTH = 64  # nesting of mappings and lists
MAX_DATA_FILE_BYTES = 512 * 1024**2  # a dataset file as stored
MAX_DECOMPRESSED_BYTES = 512 * 1024**2  # what a .gz, .xlsx or other zip may inflate to
MAX_IMAGE_PIXELS = 40_000_000  # an image or raster panel's picture, or an MPCDI blend map (e.g. 8000 × 5000)

# Scenes
MAX_DATASETS = 50
MAX_PANELS = 100
MAX_STEPS = 100
MAX_TEXT_FIELDS = 2_000  # {expression} fields in all of a scene's texts (each is evaluated on the data)
MAX_PARAMS = 20  # parameters a scene declares
MAX_CHOICES = 1_000  # values one parameter offers (a number's min..max in steps, a column's values)

# Expressions and formats
MAX_EXPRESSION_CHARS = 2_000
MAX_EXPRESSION_DEPTH = 40  # nesting of operators and calls
MAX_CONSTANT_DIGITS = 15  # digits of a number written in an expression
MAX_MEASURE_MAGNITUDE = 1e15  # results larger than this are not measures of a council's data
MAX_FORMAT_CHARS = 60  # a number format such as '{:,.1f}%'
MAX_FORMAT_WIDTH = 40  # its field width
MAX_FORMAT_PRECISION = 20  # digits after the point: more are noise in a float

# Rooms and frames
MAX_PROJECTORS = 32
MAX_PROJECTOR_SIDE = 8192  # pixels, each way
MAX_FRAME_WIDTH = 16384  # the equirectangular frame (height is half)
MAX_RENDER_BYTES = 3 * 1024**3  # frame + projector images + lookup tables a render would hold
MAX_SHOW_BYTES = 8 * 1024**3  # a show: its preparation's render, the answering worker's, and the frames it keeps

# Calibration archives (MPCDI, `bridge room import`)
MAX_MPCDI_BYTES = 2 * 1024**3  # what all the files in an MPCDI archive may inflate to, together
MAX_MPCDI_MEMBERS = 160  # files in an MPCDI archive (four a projector, MAX_PROJECTORS of them, and a few more)
MAX_MPCDI_XML_BYTES = 2_000_000  # its mpcdi.xml

# The show's web server (bridge/web/server.py)
MAX_WEB_MESSAGE_BYTES = 4096  # a command from a page; longer ones are answered with an error
MAX_WEB_PAGES = 64  # remotes and watch pages connected at once
WEB_COMMANDS_PER_S = 10.0  # commands a page may send each second (20 at once)

# Power BI files (`.pbix`, bridge/data/powerbi/archive.py): a zip holding the report and its model
MAX_PBIX_MEMBERS = 4_000  # files inside a .pbix (pages, themes, images, custom visuals, the model)
MAX_PBIX_INFLATED_BYTES = 2 * 1024**3  # what all its members may inflate to, together
MAX_PBIX_RATIO = 200  # how many times a deflated member may inflate (a zip bomb inflates thousands of times)
MAX_PBIX_MEMBER_READ_BYTES = 16 * 1024**2  # a theme or Connections member Bridge reads itself
MAX_PBIX_DECODE_BYTES = 4 * 1024**3  # memory each child process decoding the model (XPress9, VertiPaq) may add
MAX_PBIX_DECODE_S = 120  # seconds that child may take before it is stopped

# Databases and the embedded engine (bridge/data/database/): every connection read-only
MAX_DB_STATEMENT_S = 60  # seconds one statement may run in the database before it is cancelled
MAX_DB_ROWS = 5_000_000  # rows one dataset may bring back from a database or the embedded engine
MAX_DB_CONNECT_S = 10  # seconds to wait for a database to answer a connection
DUCKDB_FILE_BYTES = 128 * 1024**2  # a local CSV or Parquet at least this large is read by DuckDB in-process (no size cap then)
DUCKDB_MEMORY_BYTES = 512 * 1024**2  # memory DuckDB may use for one query (it spills or stops beyond)
DUCKDB_THREADS = 2  # threads DuckDB may use
DUCKDB_MAX_POINTS = 30_000_000  # points DuckDB may hand over to be counted per area (16 bytes each)

# DAX measures of a Power BI model (bridge/data/dax/)
MAX_DAX_CHARS = 100_000  # one measure's formula
MAX_DAX_DEPTH = 60  # nesting of operators, calls and measures referring to measures
MAX_DAX_WORK = 50_000_000  # rows touched by one evaluation's iterations, summed (an iterator's rows × what each row does)
MAX_DAX_GROUPS = 200_000  # combinations of `by` values a grouped evaluation may produce

# Data that refreshes during a show (a dataset's `refresh:`, bridge/show/refresh.py)
MIN_REFRESH_S = 1.0  # the shortest refresh interval: a re-read every second is already a busy database's worth
MAX_REFRESH_S = 24 * 3600.0  # the longest: a day (a show runs for hours)
