# EvalHub: `make run` serves the app with demo data; `make test` runs the whole suite; `make lint` the static checks.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test install bench lint clean-db browser-deps vendor-plotly

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) -m evalhub.run

# Browser tests drive Debian's Chromium; as root on Debian/Ubuntu it is installed when missing.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "note: chromium not found; browser tests will be skipped (sudo apt-get install chromium)"; fi; }

test: $(STAMP) browser-deps
	$(PY) -m evalhub.embedded exec $(PY) -m pytest $(PYTEST_ARGS)

# Static checks: ruff (rules in pyproject.toml), the layer contracts in .importlinter, mypy strict on evalhub/stats.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

bench: $(STAMP)
	@for script in bench/*.py; do echo "== $$script"; $(PY) -m evalhub.embedded exec $(PY) $$script || exit 1; done

clean-db:
	$(PY) -m evalhub.embedded stop
	rm -rf var/pgdata

# Re-vendor plotly.js (needs npm; the committed file is what the app serves): the cartesian partial
# bundle at the plotly.js version the Python plotly package targets, with the CDN topojson default
# pointed at a local path so nothing is ever fetched from outside.
PLOTLY_JS_VERSION ?= 4.1.1
vendor-plotly:
	@tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent plotly.js-cartesian-dist-min@$(PLOTLY_JS_VERSION) >/dev/null && tar xzf *.tgz && \
	  { printf '/* plotly.js-cartesian-dist-min $(PLOTLY_JS_VERSION) (MIT, see plotly.LICENSE.txt), vendored by `make vendor-plotly`: the\n   cartesian bundle (scatter, bar, heatmap, ...) without map traces, with the topojson default pointed at\n   /static/js/topojson/ instead of a CDN so EvalHub works offline. */\n'; \
	    sed 's#dflt:"https://cdn.plot.ly/un/"#dflt:"/static/js/topojson/"#' package/plotly-cartesian.min.js; } > $(CURDIR)/static/js/plotly.min.js && \
	  cp package/LICENSE $(CURDIR)/static/js/plotly.LICENSE.txt && rm -rf $$tmp
	@! grep -q -E 'cdn\.|unpkg|jsdelivr' static/js/plotly.min.js || { echo "a CDN reference is left in plotly.min.js" >&2; exit 1; }
