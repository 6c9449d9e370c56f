#include "etcd/etcd_client.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <iterator>
#include <thread>

namespace wal::etcd {
namespace {

using Clock = std::chrono::steady_clock;

constexpr char kCompactedMessage[] = "required revision has been compacted";

// Failures of a member, not of the request: another member may serve it.
bool is_retryable(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:        // down, "no leader", "leader changed", timeouts
    case grpc::StatusCode::DEADLINE_EXCEEDED:  // our per-attempt deadline
    case grpc::StatusCode::CANCELLED:          // the connection went away mid-call
      return true;
    case grpc::StatusCode::UNKNOWN:
      // etcd 3.4 answers a few leader troubles this way.
      return status.error_message().find("leader") != std::string::npos;
    default:
      return false;
  }
}

// gRPC takes deadlines on the system clock only.
void set_deadline(grpc::ClientContext& context, Clock::time_point deadline) {
  context.set_deadline(std::chrono::system_clock::now() + (deadline - Clock::now()));
}

std::string describe(const grpc::Status& status) {
  return "gRPC code " + std::to_string(static_cast<int>(status.error_code())) + ": " +
         status.error_message();
}

// The server's answer, as the code a caller can act on.
Status to_status(const std::string& what, const std::string& url, const grpc::Status& status) {
  const std::string& message = status.error_message();
  const std::string operation = "etcd " + what + " refused: " + message;
  switch (status.error_code()) {
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      // "etcdserver: mvcc: database space exceeded": the NOSPACE alarm.
      return Status::io_error(operation + " (see docs/DISTRIBUTED.md, \"Quota\")", url, ENOSPC);
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
      return Status::invalid_argument(url + ": " + operation);
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      return Status::io_error(operation, url, EACCES);
    default:
      return Status::io_error(operation + " (" + describe(status) + ")", url, EIO);
  }
}

Result<std::string> read_pem(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::io_error("read TLS file", path, errno ? errno : ENOENT);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct ParsedUrl {
  bool tls = false;
  std::string target;  // host:port
};

Result<ParsedUrl> parse_url(const std::string& url) {
  ParsedUrl parsed;
  std::string_view rest = url;
  if (rest.starts_with("https://")) {
    parsed.tls = true;
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else if (rest.find("://") != std::string_view::npos) {
    return Status::invalid_argument("etcd endpoint \"" + url + "\": only http:// and https://");
  }
  while (rest.ends_with("/")) rest.remove_suffix(1);
  if (rest.empty() || rest.find('/') != std::string_view::npos) {
    return Status::invalid_argument("etcd endpoint \"" + url + "\" is not host:port or a URL");
  }
  parsed.target = std::string(rest);
  return parsed;
}

}  // namespace

struct EtcdClient::Endpoint {
  std::string url;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<pb::KV::Stub> kv;
  std::unique_ptr<pb::Maintenance::Stub> maintenance;
  std::unique_ptr<pb::Auth::Stub> auth;
};

bool is_compacted(const Status& status) {
  return status.message().find(kCompactedMessage) != std::string::npos;
}

EtcdClient::EtcdClient(const EtcdOptions& options)
    : urls_(options.endpoints),
      username_(options.username),
      password_(options.password),
      request_timeout_(options.request_timeout),
      operation_timeout_(options.operation_timeout) {}

EtcdClient::~EtcdClient() = default;

Result<std::unique_ptr<EtcdClient>> EtcdClient::connect(const EtcdOptions& options) {
  if (options.endpoints.empty()) return Status::invalid_argument("no etcd endpoint given");
  if (options.request_timeout.count() <= 0 || options.operation_timeout.count() <= 0) {
    return Status::invalid_argument("etcd timeouts must be positive");
  }
  std::unique_ptr<EtcdClient> client(new EtcdClient(options));
  std::shared_ptr<grpc::ChannelCredentials> tls_credentials;
  for (const std::string& url : options.endpoints) {
    WAL_ASSIGN_OR_RETURN(ParsedUrl parsed, parse_url(url));
    std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
    if (parsed.tls) {
      if (!tls_credentials) {
        grpc::SslCredentialsOptions ssl;
        if (!options.tls.ca_file.empty()) {
          WAL_ASSIGN_OR_RETURN(ssl.pem_root_certs, read_pem(options.tls.ca_file));
        }
        if (options.tls.cert_file.empty() != options.tls.key_file.empty()) {
          return Status::invalid_argument("TLS client certificate and key go together");
        }
        if (!options.tls.cert_file.empty()) {
          WAL_ASSIGN_OR_RETURN(ssl.pem_cert_chain, read_pem(options.tls.cert_file));
          WAL_ASSIGN_OR_RETURN(ssl.pem_private_key, read_pem(options.tls.key_file));
        }
        tls_credentials = grpc::SslCredentials(ssl);
      }
      credentials = tls_credentials;
    }
    grpc::ChannelArguments arguments;
    arguments.SetMaxReceiveMessageSize(-1);  // a page of big records may exceed 4 MiB
    // A member that comes back is used again within a second, not minutes.
    arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    // Notices a silently dead member; etcd refuses pings more often than 5 s.
    arguments.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
    arguments.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
    // Separate connections per endpoint even when two name the same member.
    arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    auto endpoint = std::make_unique<Endpoint>();
    endpoint->url = url;
    endpoint->channel = grpc::CreateCustomChannel(parsed.target, credentials, arguments);
    endpoint->kv = pb::KV::NewStub(endpoint->channel);
    endpoint->maintenance = pb::Maintenance::NewStub(endpoint->channel);
    endpoint->auth = pb::Auth::NewStub(endpoint->channel);
    client->endpoints_.push_back(std::move(endpoint));
  }
  return client;
}

bool EtcdClient::connected(Endpoint& endpoint, Clock::time_point deadline) {
  grpc_connectivity_state state = endpoint.channel->GetState(/*try_to_connect=*/true);
  if (state == GRPC_CHANNEL_READY) return true;
  // Waiting here also drives the connection attempt: with the synchronous
  // API nothing else polls a channel that fails fast, and gRPC's backup
  // poller looks only every 5 s, so a member that came back would stay
  // unused for seconds. A member that does not connect soon is left for
  // the next one; the attempt goes on and is looked at again next round.
  const auto wait = std::clamp<Clock::duration>(
      request_timeout_ / 4, std::chrono::milliseconds(100), std::chrono::milliseconds(1000));
  const Clock::time_point until = std::min(deadline, Clock::now() + wait);
  return endpoint.channel->WaitForConnected(std::chrono::system_clock::now() +
                                            (until - Clock::now()));
}

std::string EtcdClient::token() const {
  std::lock_guard lock(token_mutex_);
  return token_;
}

Status EtcdClient::authenticate(Endpoint& endpoint, Clock::time_point deadline) {
  grpc::ClientContext context;
  set_deadline(context, std::min(deadline, Clock::now() + request_timeout_));
  pb::AuthenticateRequest request;
  request.set_name(username_);
  request.set_password(password_);
  pb::AuthenticateResponse response;
  grpc::Status status = endpoint.auth->Authenticate(&context, request, &response);
  if (!status.ok()) {
    if (is_retryable(status)) return Status::io_error(describe(status), endpoint.url, EAGAIN);
    return to_status("authenticate as \"" + username_ + "\"", endpoint.url, status);
  }
  std::lock_guard lock(token_mutex_);
  token_ = response.token();
  return Status::ok();
}

template <typename Response, typename Invoke>
Result<Response> EtcdClient::call(const char* what, Invoke invoke) {
  const Clock::time_point deadline = Clock::now() + operation_timeout_;
  const size_t count = endpoints_.size();
  std::string last_error = "no attempt";
  std::chrono::milliseconds backoff(50);
  bool reauthenticated = false;
  for (size_t attempt = 0;; ++attempt) {
    const size_t index = current_.load() % count;
    Endpoint& endpoint = *endpoints_[index];
    // Once per call, not per member: a wrong password is not a member failure.
    if (!username_.empty() && token().empty() && connected(endpoint, deadline)) {
      Status authenticated = authenticate(endpoint, deadline);
      if (!authenticated.is_ok() && authenticated.error_number() != EAGAIN) return authenticated;
    }
    grpc::Status status;
    Response response;
    if (!connected(endpoint, deadline)) {
      status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "not connected");
    } else if (username_.empty() || !token().empty()) {
      grpc::ClientContext context;
      set_deadline(context, std::min(deadline, Clock::now() + request_timeout_));
      if (!username_.empty()) context.AddMetadata("token", token());
      status = invoke(endpoint, &context, &response);
      if (status.ok()) return response;
      if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED && !username_.empty() &&
          !reauthenticated) {
        // Tokens expire (--auth-token-ttl) and die with the member that made them.
        reauthenticated = true;
        std::lock_guard lock(token_mutex_);
        token_.clear();
        continue;
      }
      if (!is_retryable(status)) return to_status(what, endpoint.url, status);
    } else {
      status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "could not authenticate");
    }
    last_error = endpoint.url + ": " + describe(status);
    // Move on, unless another thread already did.
    size_t expected = index;
    current_.compare_exchange_strong(expected, (index + 1) % count);
    if (Clock::now() >= deadline) break;
    if ((attempt + 1) % count == 0) {
      // Every member failed once: give them a moment (an election takes a second or two).
      std::this_thread::sleep_for(std::min<Clock::duration>(backoff, deadline - Clock::now()));
      backoff = std::min(backoff * 2, std::chrono::milliseconds(500));
    }
    if (Clock::now() >= deadline) break;
  }
  return Status::io_error(std::string("etcd ") + what + ": no member answered within " +
                              std::to_string(operation_timeout_.count()) + " ms; last error from " +
                              last_error,
                          "", ETIMEDOUT);
}

Result<pb::TxnResponse> EtcdClient::txn(const pb::TxnRequest& request) {
  return call<pb::TxnResponse>("txn", [&](Endpoint& e, grpc::ClientContext* c, auto* r) {
    return e.kv->Txn(c, request, r);
  });
}

Result<pb::RangeResponse> EtcdClient::range(const pb::RangeRequest& request) {
  return call<pb::RangeResponse>("range", [&](Endpoint& e, grpc::ClientContext* c, auto* r) {
    return e.kv->Range(c, request, r);
  });
}

Result<pb::PutResponse> EtcdClient::put(const pb::PutRequest& request) {
  return call<pb::PutResponse>("put", [&](Endpoint& e, grpc::ClientContext* c, auto* r) {
    return e.kv->Put(c, request, r);
  });
}

Result<pb::DeleteRangeResponse> EtcdClient::delete_range(const pb::DeleteRangeRequest& request) {
  return call<pb::DeleteRangeResponse>("delete range",
                                       [&](Endpoint& e, grpc::ClientContext* c, auto* r) {
                                         return e.kv->DeleteRange(c, request, r);
                                       });
}

Result<pb::CompactionResponse> EtcdClient::compact(const pb::CompactionRequest& request) {
  return call<pb::CompactionResponse>("compact", [&](Endpoint& e, grpc::ClientContext* c, auto* r) {
    return e.kv->Compact(c, request, r);
  });
}

Result<pb::StatusResponse> EtcdClient::status() {
  const pb::StatusRequest request;
  return call<pb::StatusResponse>("status", [&](Endpoint& e, grpc::ClientContext* c, auto* r) {
    return e.maintenance->Status(c, request, r);
  });
}

}  // namespace wal::etcd
