module github.com/rosterhq/roster

go 1.26.8

require (
	github.com/hashicorp/go-memdb v1.3.5
	github.com/miekg/dns v1.1.73
)

require (
	github.com/hashicorp/go-immutable-radix v1.3.1 // indirect
	github.com/hashicorp/go-uuid v1.0.3 // indirect
	github.com/hashicorp/golang-lru v1.0.2 // indirect
	golang.org/x/net v0.57.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
)
