# qct — build, test, demo and benchmark.
#
# Rules:
#   make deps      install the Debian packages qct needs (apt-get, when missing)
#   make build     debug build
#   make release   release build
#   make fixtures  fetch the pydicom 3.0.2, pydicom-data 1.0.0 and pylinac 1.1.1 wheels (PyPI)
#                  into .fixtures/, extract their DICOM files (and pylinac's CatPhan 504 demo
#                  scan) and compute pydicom's reference HU
#   make test      deps + fixtures + swift test
#   make demo      deps + release build + the main job on built-in defaults: simulate QCT1-QCT3 x 10
#                  ESP scans, measure them, print the precision table and the comparison, write
#                  out/demo/report.html
#   make validate  release build + the validation report: 200 seeded varied scans of every calibration
#                  phantom on QCT1-QCT3, rod detection and identification rates, calibration error
#                  at 100 and 200 HU (VALIDATE_COUNT=N for another number); then 150 varied ESP-on-pad
#                  scans (VALIDATE_SPINES=N): vertebrae found and named, ROI homogeneity, BMD error,
#                  and a 10-repeat precision study per scanner against the reference table; then 100
#                  varied simulated patients (VALIDATE_PATIENTS=N): vertebrae found and named, same-scan
#                  BMD against truth, internal against same-scan, history calibration against scanner drift
#   make bench     deps + fixtures + release build + benchmarks against cat, pydicom, cp and pylinac
#   make install   release build + install under PREFIX (default ~/.local): bin/qct, share/qct/Phantoms,
#                  the man page (share/man/man1/qct.1) and bash, zsh and fish completions;
#                  DESTDIR=… stages the install elsewhere
#   make fuzz      libFuzzer harnesses, SECONDS=N each (default 60): the DICOM shim (open, header
#                  parse, every codec; AddressSanitizer + UBSan), series assembly, enhanced
#                  multi-frame splitting and the JSON loaders (AddressSanitizer); seeded from the
#                  fixtures, simulated series and the phantom folder; findings land in out/fuzz/
#   make mutate    whole-series mutation: MUTANTS=N (default 10000) damaged copies of simulated and
#                  real series through inspect, calibrate, measure and qc record; no crash, no hang,
#                  every refusal names its file, no NaN, databases intact (out/mutate/summary.json)
#   make demo-clean remove the demo's output (out/demo)
#   make clean     remove build products and the fixture cache

SHELL := /bin/bash
FIXTURES := .fixtures
VENV := $(FIXTURES)/venv
PY := $(VENV)/bin/python
APT_PACKAGES := pkg-config libdcmtk-dev dcmtk libopenjp2-7-dev libsndfile1-dev zlib1g-dev libdeflate-dev libsqlite3-dev sqlite3 python3-venv chromium poppler-utils postgresql-15
PIP_REFERENCE := pydicom==3.0.2 numpy pylibjpeg==2.1.0 pylibjpeg-libjpeg==2.5.0 pylibjpeg-openjpeg==2.6.0 pylibjpeg-rle==2.2.0 nibabel==5.4.2 pynrrd==1.1.3 xraydb==4.5.8 pillow==11.3.0

.PHONY: deps build release fixtures test demo demo-clean bench validate fuzz mutate install clean

deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
	@pkg-config --exists dcmtk libopenjp2 || { echo "pkg-config cannot find dcmtk/libopenjp2"; exit 1; }

build: deps
	swift build

release: deps
	swift build -c release

$(VENV)/.ready:
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check $(PIP_REFERENCE)
	touch $@

$(FIXTURES)/wheels/.ready: $(VENV)/.ready
	mkdir -p $(FIXTURES)/wheels
	$(VENV)/bin/pip download -q --disable-pip-version-check --no-deps -d $(FIXTURES)/wheels pydicom==3.0.2 pydicom-data==1.0.0 pylinac==1.1.1
	touch $@

$(FIXTURES)/reference/manifest.json: $(FIXTURES)/wheels/.ready $(VENV)/.ready Scripts/reference_hu.py Scripts/make_multiframe.py
	rm -rf $(FIXTURES)/dicom $(FIXTURES)/reference
	mkdir -p $(FIXTURES)/dicom/pydicom $(FIXTURES)/dicom/pydicom-data
	cd $(FIXTURES)/dicom/pydicom && python3 -m zipfile -e ../../wheels/pydicom-3.0.2-py3-none-any.whl x && \
	  mv x/pydicom/data/test_files/*.dcm . && mv x/pydicom/data/test_files/dicomdirtests/DICOMDIR-empty.dcm . && rm -rf x
	cd $(FIXTURES)/dicom/pydicom-data && python3 -m zipfile -e ../../wheels/pydicom_data-1.0.0-py3-none-any.whl x && \
	  mv x/data_store/data/*.dcm . && rm -rf x
	mkdir -p $(FIXTURES)/dicom/generated
	$(PY) -W ignore Scripts/make_multiframe.py $(FIXTURES)/dicom/pydicom-data/eCT_Supplemental.dcm $(FIXTURES)/dicom/generated/enhanced_ct_40.dcm
	$(PY) -W ignore Scripts/reference_hu.py $(FIXTURES)/dicom $(FIXTURES)/reference
	rm -rf $(FIXTURES)/catphan && mkdir -p $(FIXTURES)/catphan
	cd $(FIXTURES)/catphan && python3 -m zipfile -e ../wheels/pylinac-1.1.1-py3-none-any.whl x && \
	  python3 -m zipfile -e "x/pylinac/demo_files/cbct/High quality head.zip" . && rm -rf x

fixtures: deps $(FIXTURES)/reference/manifest.json

# The store tests' PostgreSQL: a throwaway cluster on loopback, stopped after the tests.
PGTEST := out/pgtest
PGTEST_PORT ?= 55432

test: deps fixtures
	swift build -c release
	swift build --build-tests
	@url=$$(Scripts/pg_test_cluster.sh start $(PGTEST) $(PGTEST_PORT)) || exit 1; \
	QCT_FIXTURES=$(CURDIR)/$(FIXTURES) QCT_TEST_POSTGRES=$$url QCT_TEST_POSTGRES_DIR=$(CURDIR)/$(PGTEST) \
	  swift test --skip-build --disable-swift-testing; rc=$$?; \
	Scripts/pg_test_cluster.sh stop $(PGTEST); rm -rf $(PGTEST); exit $$rc

DEMO := out/demo
QCT := .build/release/qct

demo: release
	@rm -rf $(DEMO)
	@echo "== qct simulate: the European Spine Phantom on a Mindways pad, 10 repositioned scans on each of QCT1-QCT3"
	@for s in QCT1 QCT2 QCT3; do $(QCT) simulate esp-on-pad --scanner $$s --repeat 10 --reposition --day-variation --slices 120 --seed 2026 \
	  --out $(DEMO)/$$s | tail -n 4 || exit 1; done
	@echo "== qct calibrate: the pad's rods found with no hints, two-component fit and checks (QCT1, first scan)"
	@rc=0; $(QCT) calibrate $(DEMO)/QCT1/scan-001 --phantom mindways-model3-ct --overlay $(DEMO)/QCT1-scan-001-rods.svg || rc=$$?; [ $$rc -ne 2 ]
	@echo "== qct measure: vertebrae found with no hints, trabecular ROIs, BMD (QCT1, first scan)"
	@rc=0; $(QCT) measure $(DEMO)/QCT1/scan-001 --esp --overlay $(DEMO)/QCT1-scan-001-vertebrae.svg || rc=$$?; [ $$rc -ne 2 ]
	@echo "== qct precision: all 30 scans measured, grouped by scanner"
	$(QCT) precision $(DEMO)/QCT1 $(DEMO)/QCT2 $(DEMO)/QCT3 --save-measurements $(DEMO)/measurements --csv $(DEMO)/precision.csv
	@echo "== qct compare: scanners side by side, correction equations, Bland-Altman, ANOVA"
	@$(QCT) compare $(DEMO)/measurements --html $(DEMO)/report.html --pdf $(DEMO)/report.pdf --json $(DEMO)/comparison.json \
	  --record --db $(DEMO)/qc.sqlite | sed -n '/^Scanner comparison/,$$p'
	@echo "== qct qc crosscal: the correction equation kept for QCT2, the one in force"
	$(QCT) qc crosscal --scanner QCT2 --db $(DEMO)/qc.sqlite
	@echo "== report: $(DEMO)/report.html (self-contained; open it in any browser), printed to $(DEMO)/report.pdf"

demo-clean:
	rm -rf $(DEMO)

PREFIX ?= $(HOME)/.local
INSTALL_ROOT = $(DESTDIR)$(PREFIX)

install: release
	swift package generate-manual >/dev/null
	install -d $(INSTALL_ROOT)/bin $(INSTALL_ROOT)/share/qct $(INSTALL_ROOT)/share/man/man1 \
	  $(INSTALL_ROOT)/share/bash-completion/completions $(INSTALL_ROOT)/share/zsh/site-functions \
	  $(INSTALL_ROOT)/share/fish/vendor_completions.d
	install -m 755 $(QCT) $(INSTALL_ROOT)/bin/qct
	rm -rf $(INSTALL_ROOT)/share/qct/Phantoms && cp -R Phantoms $(INSTALL_ROOT)/share/qct/Phantoms
	install -m 644 .build/plugins/GenerateManual/outputs/qct/qct.1 $(INSTALL_ROOT)/share/man/man1/qct.1
	$(QCT) --generate-completion-script bash > $(INSTALL_ROOT)/share/bash-completion/completions/qct
	$(QCT) --generate-completion-script zsh > $(INSTALL_ROOT)/share/zsh/site-functions/_qct
	$(QCT) --generate-completion-script fish > $(INSTALL_ROOT)/share/fish/vendor_completions.d/qct.fish
	@echo "installed qct under $(INSTALL_ROOT) (make sure $(PREFIX)/bin is on PATH)"

$(FIXTURES)/venv-pylinac/.ready:
	python3 -m venv $(FIXTURES)/venv-pylinac
	$(FIXTURES)/venv-pylinac/bin/pip install -q --disable-pip-version-check pylinac
	touch $@

# The export's peers: dcm2niix, and pigz, which dcm2niix -z y pipes to; GNU time for peak memory.
BENCH_PACKAGES := dcm2niix pigz time wrk

bench: release fixtures $(FIXTURES)/venv-pylinac/.ready
	@missing=""; for p in $(BENCH_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
	.build/release/qct-bench --fixtures $(FIXTURES) --python $(PY) --phantoms Phantoms --pylinac-python $(FIXTURES)/venv-pylinac/bin/python
	python3 Scripts/bench_node.py $(QCT) Phantoms out/bench/node

VALIDATE_COUNT ?= 200

VALIDATE_SPINES ?= 150
VALIDATE_PATIENTS ?= 100

SECONDS ?= 60
FUZZ := out/fuzz
FUZZ_SWIFT := -Xswiftc -sanitize=fuzzer,address -Xswiftc -DQCT_FUZZ -Xcc -fsanitize=fuzzer-no-link,address -Xcxx -fsanitize=fuzzer-no-link,address
fuzz: deps fixtures release
	@mkdir -p $(FUZZ)
	set -o pipefail; clang++ -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	  -I Sources/CDCMTKShim $$(pkg-config --cflags libopenjp2) Sources/CDCMTKShim/*.cpp Fuzz/shim_read.cpp -o $(FUZZ)/shim_read \
	  -ldcmnet -ldcmjpls -ldcmtkcharls -ldcmjpeg -lijg8 -lijg12 -lijg16 -ldcmimgle -ldcmdata -loflog -lofstd -lopenjp2 -lz 2>&1 | { grep -v "Cannot export local symbol" || true; }
	set -o pipefail; swift build -c release --product qct-fuzz --scratch-path .build/fuzz $(FUZZ_SWIFT) 2>&1 | { grep -v "Cannot export local symbol" || true; } | tail -1
	@[ -f $(FUZZ)/seeds/.ready ] || { rm -rf $(FUZZ)/seeds && $(PY) -W ignore Scripts/fuzz_seeds.py $(QCT) Phantoms $(FIXTURES) $(FUZZ)/seeds && touch $(FUZZ)/seeds/.ready; }
	Scripts/fuzz.sh $(FUZZ) $(SECONDS)

MUTANTS ?= 10000
mutate: release fixtures
	@rm -rf out/mutate && mkdir -p out/mutate
	$(PY) Scripts/mutate_series.py $(QCT) Phantoms $(FIXTURES) out/mutate --count $(MUTANTS) > out/mutate/summary.json; \
	  status=$$?; python3 -c 'import json; d = json.load(open("out/mutate/summary.json")); \
	  print(d["mutants"], "mutants,", d["runs"], "runs in", d["seconds"], "s;", len(d["failures"]), "failures; databases:", set(d["databases"].values()))'; \
	  exit $$status

validate: release
	@rm -rf out/validate && mkdir -p out/validate/rods out/validate/spines out/validate/patients
	python3 Scripts/validate_calibration.py $(QCT) Phantoms out/validate/rods --count $(VALIDATE_COUNT)
	python3 Scripts/validate_spine.py $(QCT) Phantoms out/validate/spines --count $(VALIDATE_SPINES)
	python3 Scripts/validate_patients.py $(QCT) Phantoms out/validate/patients --count $(VALIDATE_PATIENTS)

clean:
	rm -rf .build $(FIXTURES)
