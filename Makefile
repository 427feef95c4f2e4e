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
#   make demo      deps + release build + the main job on built-in defaults (writes out/demo)
#   make bench     deps + fixtures + release build + benchmarks against cat, pydicom, cp and pylinac
#   make clean     remove build products and the fixture cache

SHELL := /bin/bash
FIXTURES := .fixtures
VENV := $(FIXTURES)/venv
PY := $(VENV)/bin/python
APT_PACKAGES := pkg-config libdcmtk-dev dcmtk libopenjp2-7-dev libsndfile1-dev zlib1g-dev python3-venv
PIP_REFERENCE := pydicom==3.0.2 numpy pylibjpeg==2.1.0 pylibjpeg-libjpeg==2.5.0 pylibjpeg-openjpeg==2.6.0 pylibjpeg-rle==2.2.0 nibabel==5.4.2 pynrrd==1.1.3 xraydb==4.5.8

.PHONY: deps build release fixtures test demo bench clean

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

test: deps fixtures
	swift build -c release
	swift build --build-tests
	QCT_FIXTURES=$(CURDIR)/$(FIXTURES) swift test --skip-build --disable-swift-testing

DEMO_CT := $(FIXTURES)/dicom/pydicom/CT_small.dcm $(FIXTURES)/dicom/pydicom-data/eCT_Supplemental.dcm \
	$(FIXTURES)/dicom/pydicom-data/693_J2KR.dcm $(FIXTURES)/dicom/pydicom-data/693_UNCR.dcm

demo: release fixtures
	@echo "== qct inspect: real CT files from pydicom's test data (uncompressed, JPEG 2000, enhanced multi-frame)"
	.build/release/qct inspect $(DEMO_CT)
	@echo "== qct simulate: the European Spine Phantom on a Mindways pad, on scanners QCT1-QCT3"
	@for s in QCT1 QCT2 QCT3; do .build/release/qct simulate esp-on-pad --scanner $$s --slices 100 --out out/demo/$$s || exit 1; done
	@echo "== qct inspect on the simulated scans"
	.build/release/qct inspect out/demo
	@echo "== qct calibrate: rods found with no hints, two-component fit and checks (QCT1)"
	@rc=0; .build/release/qct calibrate out/demo/QCT1 --phantom mindways-model3-ct --overlay out/demo/QCT1-rois.svg || rc=$$?; [ $$rc -ne 2 ]
	@for s in QCT2 QCT3; do rc=0; .build/release/qct calibrate out/demo/$$s --phantom mindways-model3-ct | grep -E "^fit:|^status:" || rc=$$?; done
	@echo "== qct export: QCT1's scan as an HU volume in patient space"
	.build/release/qct export out/demo/QCT1 --out out/demo/QCT1.nrrd

$(FIXTURES)/venv-pylinac/.ready:
	python3 -m venv $(FIXTURES)/venv-pylinac
	$(FIXTURES)/venv-pylinac/bin/pip install -q --disable-pip-version-check pylinac
	touch $@

bench: release fixtures $(FIXTURES)/venv-pylinac/.ready
	.build/release/qct-bench --fixtures $(FIXTURES) --python $(PY) --phantoms Phantoms --pylinac-python $(FIXTURES)/venv-pylinac/bin/python

clean:
	rm -rf .build $(FIXTURES)
