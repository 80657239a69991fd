module buildkit-pyenv/tools/buildkit-expand

go 1.22

require (
	github.com/containerd/typeurl/v2 v2.0.0
	github.com/moby/buildkit v0.0.0
	github.com/pkg/errors v0.9.1
	github.com/planetscale/vtprotobuf v0.0.0
	google.golang.org/protobuf v1.0.0
)

// regenerate.sh fills third_party/ from a fetched copy of moby/buildkit; it is never committed.
// Each is a directory there, so nothing is downloaded.
replace (
	github.com/containerd/typeurl/v2 => ./third_party/github.com/containerd/typeurl/v2
	github.com/moby/buildkit => ./third_party/github.com/moby/buildkit
	github.com/pkg/errors => ./third_party/github.com/pkg/errors
	github.com/planetscale/vtprotobuf => ./third_party/github.com/planetscale/vtprotobuf
	google.golang.org/protobuf => ./third_party/google.golang.org/protobuf
)
