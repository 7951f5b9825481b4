# The two commands of the README: `make audit` (the main job) and `make test`.
# Both set up what they need on a fresh machine with Go and Python.

GO        ?= go
PROFILE   ?= fixtures/profiles/aep-example.yaml
OUT       ?= out
FUZZTIME  ?= 5s

.PHONY: audit dist test test-localstack test-containers test-differential fuzz-short fuzz bench bench-fleet bench-floor bench-vs-prowler deps lint clean

deps:
	$(GO) mod download

# The live audit on the embedded emulator: provisions a key the way the guide's
# console steps do, inspects it read-only, writes the reports, prints the verdict.
audit: deps
	$(GO) run ./cmd/cmkcheck audit --target embedded --profile $(PROFILE) --out $(OUT)

# The release binaries: linux, darwin and windows on amd64 and arm64, built with
# -trimpath and the version, commit and date stamped into internal/buildinfo
# (VERSION, COMMIT, DATE; by default from git: scripts/dist.sh), into dist/ with
# dist/SHA256SUMS. The release workflow runs this on a tag.
dist:
	GO=$(GO) scripts/dist.sh dist

# Everything CI runs: vet, unit and suite tests on the embedded emulator, the
# JUnit schema check, the JSON Schemas of docs/schemas checked by
# check-jsonschema, the SARIF, OCSF and OSCAL validators (pinned in a venv
# under ~/.cache/cmkcheck by scripts/format-validators.sh), the policyuniverse
# differential, the suites against a native LocalStack, short fuzzing. A
# validator's install failing stops here, rather than letting its tests skip.
test: deps lint
	cjs="$$(scripts/check-jsonschema.sh)" && formats="$$(scripts/format-validators.sh)" && \
		CMK_DIFFERENTIAL=1 CMK_JUNIT_XSD="$$(scripts/junit-schema.sh)" CMK_CHECK_JSONSCHEMA="$$cjs" CMK_FORMAT_PYTHON="$$formats" $(GO) test -count=1 ./...
	$(MAKE) test-localstack
	$(MAKE) fuzz-short

ACTIONLINT = github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
# The second vet covers the cmkcheck build that may start LocalStack (-tags testcontainers).
# cfn-lint (pinned, in a venv under ~/.cache/cmkcheck) lints the reference template
# and the fleet member role's StackSet template
# and the fleet member role's StackSet template; zizmor (likewise) audits the
# workflows for unpinned actions, broad permissions, template injection and
# persisted credentials.
lint:
	$(GO) vet ./...
	$(GO) vet -tags testcontainers ./cmd/...
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) run $(ACTIONLINT) .github/workflows/*.yml
	scripts/cfn-lint.sh examples/cloudformation/aep-cmk.yaml examples/iam/cloudformation/cmkcheck-audit-role.yaml
	scripts/zizmor.sh .github/workflows/*.yml action.yml

# The suites, and cmkcheck's own LocalStack tests (the Action's script, a fleet's
# --fail-on), against a native LocalStack.
test-localstack:
	scripts/localstack.sh start
	CMK_TARGET=localstack LOCALSTACK_ENDPOINT=http://127.0.0.1:4566 CMK_REPORT_DIR=$(CURDIR)/$(OUT)/localstack \
		$(GO) test -count=1 -v ./suites/... ./internal/targets/ && \
	CMK_TARGET=localstack LOCALSTACK_ENDPOINT=http://127.0.0.1:4566 \
		$(GO) test -count=1 -v -run '^TestLocalStack' ./cmd/cmkcheck/ ; status=$$?; scripts/localstack.sh stop; exit $$status

# LocalStack started by testcontainers-go, for real (docs/targets.md): this
# checkout's own Docker engine (no bridge: host network, loopback only), the
# LocalStack image built from Debian packages (cached under .cache/), the
# suites and `cmkcheck audit` with no endpoint, compared with a native
# LocalStack. Fails, saying why, where the engine cannot run containers.
test-containers: deps
	GO=$(GO) OUT=$(OUT) scripts/test-containers.sh

# The access model against an independent reading of "is this key public?":
# Netflix's policyuniverse (pinned in scripts/policyuniverse/requirements.txt,
# installed into a venv cached under ~/.cache/cmkcheck/policyuniverse-venv),
# over the corpus; every disagreement is explained in
# fixtures/policies/differential.json. `make test` runs it with
# CMK_DIFFERENTIAL=1 (fails when it cannot run); here it skips when python3
# or the package index is unavailable.
test-differential:
	CMK_DIFFERENTIAL=$${CMK_DIFFERENTIAL:-auto} $(GO) test -count=1 -v -run '^TestDifferentialPolicyuniverse$$' ./internal/policy/

# Each fuzz target for FUZZTIME (go test -fuzz takes one target at a time).
FUZZ_TARGETS = ./internal/policy:FuzzParseAnalyze ./internal/policy:FuzzDecideMonotone ./internal/policy:FuzzDecideAnyPolicy ./internal/policy:FuzzParseIdentityPolicy ./internal/keystate:FuzzDecode ./internal/checks:FuzzEvaluateSnapshot ./internal/profile:FuzzParse ./internal/profile:FuzzCanonical ./internal/reports:FuzzReadResults ./internal/audit:FuzzVerifyEdits ./internal/audit:FuzzVerifyReadsBack ./internal/eventmatch:FuzzPatterns ./internal/iac:FuzzReadCloudFormation ./internal/iac:FuzzReadTerraformPlan
# cmd/cmkcheck's TestFuzzTargetsAreListed holds the list to the module's
# Fuzz functions; a target go test cannot find fails here too, rather than
# passing having fuzzed nothing.
fuzz-short:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$pkg $$name for $(FUZZTIME)"; \
		out=$$($(GO) test $$pkg -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) -parallel 2 2>&1); status=$$?; \
		printf '%s\n' "$$out" | tail -n 2; \
		if [ $$status -ne 0 ]; then printf '%s\n' "$$out"; exit 1; fi; \
		if printf '%s\n' "$$out" | grep -q 'no fuzz tests to fuzz'; then echo "fuzz target $$name not found in $$pkg"; exit 1; fi; \
	done

fuzz:
	$(MAKE) fuzz-short FUZZTIME=10m

bench:
	$(GO) test -run '^$$' -bench . -skip BenchmarkFleet -benchmem ./internal/checks ./internal/policy ./suites

# The fleet at 10, 100, 1,000 and 5,000 keys, on the embedded target and on
# a native LocalStack (LOCALSTACK_PORT, default 4570): keys/s, KMS calls per
# key, peak heap. Making 5,000 keys takes a while; not part of `make test`.
BENCH_PORT ?= 4570
bench-fleet:
	$(GO) test -run '^$$' -bench 'BenchmarkFleet' -benchtime 1x -timeout 60m ./suites
	LOCALSTACK_PORT=$(BENCH_PORT) scripts/localstack.sh start
	CMK_TARGET=localstack LOCALSTACK_ENDPOINT=http://127.0.0.1:$(BENCH_PORT) \
		$(GO) test -run '^$$' -bench 'BenchmarkFleet' -benchtime 1x -timeout 60m ./suites ; \
		status=$$?; LOCALSTACK_PORT=$(BENCH_PORT) scripts/localstack.sh stop; exit $$status

# cmkcheck's fleet against the floor: a bare SDK client making the same
# calls with the same parallelism, 300 keys on one LocalStack, with and
# without 25 ms added to every call (internal/testkit/floorbench).
# FLOOR_FLAGS adds flags: -parallel 16, -rounds 3, -pprof DIR.
bench-floor:
	LOCALSTACK_PORT=$(BENCH_PORT) scripts/localstack.sh start
	$(GO) run ./internal/testkit/floorbench -endpoint http://127.0.0.1:$(BENCH_PORT) $(FLOOR_FLAGS) ; \
		status=$$?; LOCALSTACK_PORT=$(BENCH_PORT) scripts/localstack.sh stop; exit $$status

# Prowler 5.46.0 and cmkcheck side by side on one LocalStack (installs
# Prowler in its own virtualenv: minutes).
bench-vs-prowler:
	LOCALSTACK_PORT=$(BENCH_PORT) scripts/bench-vs-prowler.sh

clean:
	rm -rf $(OUT)
