# The two entry points of the README. Each installs what it needs first.
.PHONY: demo test deps lint test-release test-releases fuzz soak

# Newer rtpengine releases to install as well (Debian chroots), e.g. `make deps RELEASES="12.5 26.0"`;
# the tests run one with RTPENGINE_RELEASE=12.5.
RELEASES ?=

deps:
	./scripts/install-deps.sh $(RELEASES)

demo: deps
	cargo run --quiet -p rtpengine-client --example demo

# Every feature on (the Redis-shared call table is off by default).
test: deps
	cargo test --workspace --all-targets --all-features
	cargo test --workspace --doc --all-features

# The real-daemon suites of the library and the test kit against one newer release, e.g.
# `make test-release RELEASE=12.5` (installs its chroot first).
RELEASE ?= 12.5

test-release:
	./scripts/install-deps.sh $(RELEASE)
	RTPENGINE_RELEASE=$(RELEASE) cargo test -p rtpengine-client -p rtpengine-testkit --tests --all-features

# Every release CI covers besides the host's 10.5.
test-releases:
	$(MAKE) test-release RELEASE=12.5
	$(MAKE) test-release RELEASE=26.0

# Continuous calls with media through the real daemon for MINUTES minutes, sampling RSS, open
# file descriptors and requests in flight (tests/soak.rs states the bounds; it fails on growth),
# e.g. `make soak MINUTES=30`; another release: `make soak RELEASES=26.0 RTPENGINE_RELEASE=26.0`.
# The 2-minute default also runs in `make test`.
MINUTES ?= 2

soak: deps
	SOAK_SECONDS=$$(($(MINUTES) * 60)) cargo test -p rtpengine-client --all-features --test soak -- --nocapture

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --all-features -- -D warnings
	RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --all-features -p rtpengine-client -p rtpengine-testkit

# Coverage-guided fuzzing (cargo-fuzz, libFuzzer) of the bencode codec, message parsing and
# typed replies, TCP framing, JSON bodies and URLs: every target in turn, each until FUZZ_RUNS
# executions (10 M) or FUZZ_SECONDS, whichever comes first; `make fuzz FUZZ_SECONDS=3600` is the
# documented 10 M-run session (BENCHMARKS.md). No sanitizer by default: the library has no
# unsafe code, and without AddressSanitizer it runs 3-10 times faster (FUZZ_SANITIZER=address
# to have it). Needs the nightly toolchain (`rustup toolchain install nightly`); installs
# cargo-fuzz if missing. Seeds are fuzz/corpus/ (real daemon replies); what the fuzzer adds goes
# to fuzz/work/, crashes to fuzz/artifacts/ (both ignored by git).
FUZZ_SECONDS ?= 120
FUZZ_RUNS ?= 10000000
FUZZ_SANITIZER ?= none
FUZZ_TARGETS ?= bencode_decode message_parse tcp_framing json_bodies url_parse

fuzz:
	@rustup toolchain list | grep -q '^nightly' || { echo "make fuzz needs the nightly toolchain: rustup toolchain install nightly" >&2; exit 1; }
	@command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz
	cd fuzz && for t in $(FUZZ_TARGETS); do \
		mkdir -p work/$$t && \
		cargo +nightly fuzz run -s $(FUZZ_SANITIZER) $$t work/$$t corpus/$$t -- \
			-runs=$(FUZZ_RUNS) -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -timeout=10 || exit 1; \
	done
