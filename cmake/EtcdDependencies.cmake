# Looks for what the etcd backend is generated from and built with, all Debian 12
# packages (scripts/setup.sh installs them):
#   etcd's .proto files      golang-etcd-server-dev
#   gogoproto/gogo.proto     golang-github-gogo-protobuf-dev (imported by them)
#   google/api/*.proto       golang-github-grpc-ecosystem-grpc-gateway-dev (same)
#   protoc, grpc_cpp_plugin  protobuf-compiler, protobuf-compiler-grpc
#   gRPC and protobuf        libgrpc++-dev, libprotobuf-dev
# Sets WAL_ETCD_DEPS_FOUND, and WAL_ETCD_DEPS_MISSING listing what is not there.

set(WAL_GOCODE_DIR "/usr/share/gocode/src" CACHE PATH "Where Debian's golang-*-dev packages put their sources")

find_package(Protobuf QUIET)
find_package(gRPC CONFIG QUIET)
find_program(WAL_PROTOC protoc)
find_program(WAL_GRPC_CPP_PLUGIN grpc_cpp_plugin)
find_path(WAL_ETCD_PROTO_ROOT etcd/etcdserver/etcdserverpb/rpc.proto
          PATHS "${WAL_GOCODE_DIR}/go.etcd.io" NO_DEFAULT_PATH)
# The imports etcd's files need but the C++ code does not: when they are
# missing, the files are built from copies with those options stripped.
find_path(WAL_GOGOPROTO_ROOT gogoproto/gogo.proto
          PATHS "${WAL_GOCODE_DIR}/github.com/gogo/protobuf" NO_DEFAULT_PATH)
find_path(WAL_GOOGLEAPIS_ROOT google/api/annotations.proto
          PATHS "${WAL_GOCODE_DIR}/github.com/grpc-ecosystem/grpc-gateway/third_party/googleapis"
          NO_DEFAULT_PATH)
find_path(WAL_PROTOBUF_PROTO_ROOT google/protobuf/descriptor.proto PATHS /usr/include)

set(WAL_ETCD_DEPS_MISSING "")
if(NOT Protobuf_FOUND)
  list(APPEND WAL_ETCD_DEPS_MISSING libprotobuf-dev)
endif()
if(NOT gRPC_FOUND)
  list(APPEND WAL_ETCD_DEPS_MISSING libgrpc++-dev)
endif()
if(NOT WAL_PROTOC)
  list(APPEND WAL_ETCD_DEPS_MISSING protobuf-compiler)
endif()
if(NOT WAL_GRPC_CPP_PLUGIN)
  list(APPEND WAL_ETCD_DEPS_MISSING protobuf-compiler-grpc)
endif()
if(NOT WAL_ETCD_PROTO_ROOT)
  list(APPEND WAL_ETCD_DEPS_MISSING golang-etcd-server-dev)
endif()
if(WAL_ETCD_DEPS_MISSING)
  set(WAL_ETCD_DEPS_FOUND OFF)
else()
  set(WAL_ETCD_DEPS_FOUND ON)
endif()
