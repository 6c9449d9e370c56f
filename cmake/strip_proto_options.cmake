# cmake -DINPUT=<file.proto> -DOUTPUT=<file.proto> -P strip_proto_options.cmake
#
# Copies one of etcd's .proto files without the gogoproto and google.api.http
# options and their imports. Those only steer Go code generation and the JSON
# gateway; the C++ messages and services are the same without them. Used only
# when the packages that ship the imported files are not installed.
file(READ "${INPUT}" text)
string(REGEX REPLACE "import \"gogoproto/gogo.proto\";" "" text "${text}")
string(REGEX REPLACE "import \"google/api/annotations.proto\";" "" text "${text}")
string(REGEX REPLACE "option \\(gogoproto\\.[a-z_]+\\) = [a-z]+;" "" text "${text}")
# The http option's body may nest one level (additional_bindings { ... }).
string(REGEX REPLACE "option \\(google\\.api\\.http\\) = {([^{}]|{[^{}]*})*};" "" text "${text}")
string(REGEX REPLACE "\\[\\(gogoproto\\.[^]]*\\]" "" text "${text}")
if(text MATCHES "gogoproto|google\\.api")
  message(FATAL_ERROR "${INPUT}: options left after stripping; update strip_proto_options.cmake")
endif()
file(WRITE "${OUTPUT}" "${text}")
