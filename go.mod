module github.com/xs2a-dev/xs2a

go 1.26.8

require github.com/google/uuid v1.6.0
