# The two entry points of the README. Each installs what it needs first.
.PHONY: demo test deps lint

# Newer rtpengine releases to install as well (Debian chroots), e.g. `make deps RELEASES="12.5 26.0"`;
# the tests run one with RTPENGINE_RELEASE=12.5.
RELEASES ?=

deps:
	./scripts/install-deps.sh $(RELEASES)

demo: deps
	cargo run --quiet -p rtpengine-client --example demo

test: deps
	cargo test --workspace --all-targets
	cargo test --workspace --doc

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" cargo doc --no-deps -p rtpengine-client -p rtpengine-testkit
