module buildkit-pyenv/tools/dockerignore-match

go 1.22

require github.com/moby/patternmatcher v0.0.0

replace github.com/moby/patternmatcher => ./third_party/github.com/moby/patternmatcher
