// inotify(7) for `haven backup --watch`. Node's fs.watch drops IN_Q_OVERFLOW (a full kernel
// queue then loses changes without a word), and a watcher that misses a change must at least
// know it missed one, so the raw events come from here: one inotify descriptor polled on
// Node's own event loop (uv_poll, no thread), every readable burst handed to JavaScript as
// one array of {wd, mask, cookie, name}, an overflow (wd -1, IN_Q_OVERFLOW) included.
#include "registry.h"

#include <sys/inotify.h>
#include <unistd.h>
#include <uv.h>

#include <memory>

namespace haven {
namespace {

class InotifyWatcher;

// The poll handle lives in its own allocation: uv_close finishes on a later loop turn, when
// the JavaScript object may already be gone; the close callback frees it and the descriptor.
struct PollState {
  uv_poll_t handle;
  int fd;
  InotifyWatcher* owner;
};

// At most this many reads per readable callback, so a flood of events cannot starve the
// loop (the poll is level-triggered: what is left comes on the next turn).
constexpr int kReadsPerTurn = 16;

class InotifyWatcher : public Napi::ObjectWrap<InotifyWatcher> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "InotifyWatcher", {
      InstanceMethod<&InotifyWatcher::AddWatch>("addWatch"),
      InstanceMethod<&InotifyWatcher::RemoveWatch>("removeWatch"),
      InstanceMethod<&InotifyWatcher::Close>("close"),
    });
  }

  // new InotifyWatcher(onEvents)
  explicit InotifyWatcher(const Napi::CallbackInfo& info) : Napi::ObjectWrap<InotifyWatcher>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsFunction()) {
      Napi::TypeError::New(env, "InotifyWatcher needs a callback").ThrowAsJavaScriptException();
      return;
    }
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
      ThrowErrno(env, EINVAL, "napi_get_uv_event_loop", "");
      return;
    }
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) {
      ThrowErrno(env, errno, "inotify_init1", "");
      return;
    }
    auto state = std::make_unique<PollState>();
    state->fd = fd;
    state->owner = this;
    state->handle.data = state.get();
    int r = uv_poll_init(loop, &state->handle, fd);
    if (r != 0) {
      close(fd);
      ThrowErrno(env, -r, "uv_poll_init", "");
      return;
    }
    r = uv_poll_start(&state->handle, UV_READABLE, OnReadable);
    if (r != 0) {
      ThrowErrno(env, -r, "uv_poll_start", "");
      // an initialised handle is closed through the loop, which then frees it and the fd
      uv_close(reinterpret_cast<uv_handle_t*>(&state.release()->handle), OnClosed);
      return;
    }
    state_ = state.release();
    callback_ = Napi::Persistent(info[0].As<Napi::Function>());
    context_ = std::make_unique<Napi::AsyncContext>(env, "haven.inotify");
    // Kept alive while open: its events must keep reaching the callback.
    Ref();
  }

  ~InotifyWatcher() override { Shutdown(); }

 private:
  static void OnReadable(uv_poll_t* handle, int status, int /*events*/) {
    PollState* s = static_cast<PollState*>(handle->data);
    if (s->owner != nullptr) s->owner->Deliver(status);
  }

  static void OnClosed(uv_handle_t* handle) {
    PollState* s = static_cast<PollState*>(handle->data);
    if (s->fd >= 0) close(s->fd);
    delete s;
  }

  void Deliver(int status) {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    Napi::Array events = Napi::Array::New(env);
    uint32_t count = 0;
    // A poll error is reported as an overflow: the watcher cannot know what it missed.
    if (status < 0) events.Set(count++, Event(env, -1, IN_Q_OVERFLOW, 0, nullptr, 0));
    alignas(struct inotify_event) char buf[64 * 1024];
    for (int i = 0; i < kReadsPerTurn && state_ != nullptr; i++) {
      ssize_t n = read(state_->fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      for (char* p = buf; p < buf + n;) {
        const auto* ev = reinterpret_cast<const struct inotify_event*>(p);
        events.Set(count++, Event(env, ev->wd, ev->mask, ev->cookie, ev->len > 0 ? ev->name : nullptr, ev->len));
        p += sizeof(struct inotify_event) + ev->len;
      }
    }
    if (count == 0) return;
    callback_.MakeCallback(Value(), {events}, *context_);
    // No JavaScript frame is below a loop callback: a throw becomes an uncaught exception.
    if (env.IsExceptionPending()) napi_fatal_exception(env, env.GetAndClearPendingException().Value());
  }

  static Napi::Object Event(Napi::Env env, int wd, uint32_t mask, uint32_t cookie, const char* name, uint32_t len) {
    Napi::Object e = Napi::Object::New(env);
    e.Set("wd", Napi::Number::New(env, wd));
    e.Set("mask", Napi::Number::New(env, mask));
    e.Set("cookie", Napi::Number::New(env, cookie));
    // the name is NUL-padded to len
    if (name != nullptr) e.Set("name", NameValue(env, std::string(name, strnlen(name, len))));
    return e;
  }

  // addWatch(path, mask) -> watch descriptor (the same one again for an inode already watched)
  Napi::Value AddWatch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string path = PathArg(info, 0);
    uint32_t mask = info[1].As<Napi::Number>().Uint32Value();
    if (state_ == nullptr) {
      ThrowErrno(env, EBADF, "inotify_add_watch", path);
      return env.Undefined();
    }
    int wd = inotify_add_watch(state_->fd, path.c_str(), mask);
    if (wd < 0) {
      ThrowErrno(env, errno, "inotify_add_watch", path);
      return env.Undefined();
    }
    return Napi::Number::New(env, wd);
  }

  // removeWatch(wd) -> false when the kernel had already dropped it (its inode is gone)
  Napi::Value RemoveWatch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int wd = info[0].As<Napi::Number>().Int32Value();
    if (state_ == nullptr) return Napi::Boolean::New(env, false);
    return Napi::Boolean::New(env, inotify_rm_watch(state_->fd, wd) == 0);
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (state_ != nullptr) {
      Shutdown();
      Unref();
    }
    return info.Env().Undefined();
  }

  void Shutdown() {
    if (state_ == nullptr) return;
    state_->owner = nullptr;
    uv_poll_stop(&state_->handle);
    uv_close(reinterpret_cast<uv_handle_t*>(&state_->handle), OnClosed);
    state_ = nullptr;
  }

  PollState* state_ = nullptr;
  Napi::FunctionReference callback_;
  std::unique_ptr<Napi::AsyncContext> context_;
};

void Register(Napi::Env env, Napi::Object exports) {
  exports.Set("InotifyWatcher", InotifyWatcher::Define(env));
  // The mask bits (Linux ABI), so the TypeScript side names them instead of copying numbers.
  Napi::Object bits = Napi::Object::New(env);
  const std::pair<const char*, uint32_t> named[] = {
      {"IN_MODIFY", IN_MODIFY}, {"IN_ATTRIB", IN_ATTRIB}, {"IN_CLOSE_WRITE", IN_CLOSE_WRITE},
      {"IN_MOVED_FROM", IN_MOVED_FROM}, {"IN_MOVED_TO", IN_MOVED_TO}, {"IN_CREATE", IN_CREATE},
      {"IN_DELETE", IN_DELETE}, {"IN_DELETE_SELF", IN_DELETE_SELF}, {"IN_MOVE_SELF", IN_MOVE_SELF},
      {"IN_UNMOUNT", IN_UNMOUNT}, {"IN_Q_OVERFLOW", IN_Q_OVERFLOW}, {"IN_IGNORED", IN_IGNORED},
      {"IN_ONLYDIR", IN_ONLYDIR}, {"IN_DONT_FOLLOW", IN_DONT_FOLLOW}, {"IN_EXCL_UNLINK", IN_EXCL_UNLINK},
      {"IN_ISDIR", IN_ISDIR},
  };
  for (const auto& [name, bit] : named) bits.Set(name, Napi::Number::New(env, bit));
  exports.Set("inotifyBits", bits);
}

}  // namespace

HAVEN_REGISTER("inotify", Register);

}  // namespace haven
