// One plain HTTP/1.0 request to a port on 127.0.0.1, with a timeout: enough
// for etcd's /health and its JSON gateway, without a client library.
#pragma once

#include <chrono>
#include <string>

namespace wal::local_etcd {

struct HttpReply {
  int status = 0;  // 0: no answer
  std::string body;
};

HttpReply http_request(int port, const std::string& method, const std::string& path,
                       const std::string& body = "",
                       std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));

// A TCP port on 127.0.0.1 that nothing listens on right now.
int free_port();

}  // namespace wal::local_etcd
