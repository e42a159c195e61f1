// One call per directory for the backup walker: readdir plus fstatat of every entry
// (relative to the open directory, no path resolution), sorted by name bytes (the tree
// order), returned as names and one Float64Array of numbers. Node's readdir + lstat with
// bigint stats allocate ~20 objects per file; a 78k-file tree spent more time collecting
// that garbage than walking.
#include "registry.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace haven {
namespace {

// Per entry, in this order (all exact in a double: 32-bit halves for 64-bit fields).
enum Field {
  kErrno, kMode, kUid, kGid, kNlink, kSizeHi, kSizeLo, kDevHi, kDevLo, kInoHi, kInoLo, kRdevHi, kRdevLo,
  kMtimeSec, kMtimeNsec, kCtimeSec, kCtimeNsec, kFieldCount
};

void Put64(double* f, int hi, int lo, uint64_t v) {
  f[hi] = static_cast<double>(v >> 32);
  f[lo] = static_cast<double>(v & 0xffffffffu);
}

// One directory's listing, gathered without touching JavaScript (so it can run on a
// libuv thread): names sorted by bytes and kFieldCount numbers per name.
struct Listing {
  int err = 0;
  const char* syscall = nullptr;
  std::vector<std::string> names;
  std::vector<double> fields;
};

void Scan(const std::string& path, Listing& out) {
  int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    out.err = errno;
    out.syscall = "opendir";
    return;
  }
  DIR* dir = fdopendir(fd);
  if (!dir) {
    out.err = errno;
    out.syscall = "opendir";
    close(fd);
    return;
  }
  errno = 0;
  for (struct dirent* d; (d = readdir(dir)) != nullptr;) {
    const char* n = d->d_name;
    if (n[0] == '.' && (n[1] == 0 || (n[1] == '.' && n[2] == 0))) continue;
    out.names.emplace_back(n);
  }
  if (errno != 0) {
    out.err = errno;
    out.syscall = "readdir";
    closedir(dir);
    return;
  }
  std::sort(out.names.begin(), out.names.end());  // std::string compares bytes as unsigned char: the tree order
  out.fields.assign(out.names.size() * kFieldCount, 0);
  for (size_t i = 0; i < out.names.size(); i++) {
    double* f = out.fields.data() + i * kFieldCount;
    struct stat st;
    if (fstatat(fd, out.names[i].c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      f[kErrno] = errno;  // vanished between readdir and stat: the walker reports and skips it
      continue;
    }
    f[kMode] = st.st_mode;
    f[kUid] = st.st_uid;
    f[kGid] = st.st_gid;
    f[kNlink] = static_cast<double>(st.st_nlink);
    Put64(f, kSizeHi, kSizeLo, static_cast<uint64_t>(st.st_size));
    Put64(f, kDevHi, kDevLo, static_cast<uint64_t>(st.st_dev));
    Put64(f, kInoHi, kInoLo, static_cast<uint64_t>(st.st_ino));
    Put64(f, kRdevHi, kRdevLo, static_cast<uint64_t>(st.st_rdev));
    f[kMtimeSec] = static_cast<double>(st.st_mtim.tv_sec);
    f[kMtimeNsec] = static_cast<double>(st.st_mtim.tv_nsec);
    f[kCtimeSec] = static_cast<double>(st.st_ctim.tv_sec);
    f[kCtimeNsec] = static_cast<double>(st.st_ctim.tv_nsec);
  }
  closedir(dir);
}

// -> { names: Array<string | Buffer>, nameBytes: every name's bytes and a NUL after it, fields: Float64Array, stride }
Napi::Object ToJs(Napi::Env env, const Listing& l) {
  Napi::Float64Array fields = Napi::Float64Array::New(env, l.fields.size());
  std::copy(l.fields.begin(), l.fields.end(), fields.Data());
  size_t total = 0;
  for (const std::string& n : l.names) total += n.size() + 1;
  Napi::Buffer<char> nameBytes = Napi::Buffer<char>::New(env, total);
  char* at = nameBytes.Data();
  for (const std::string& n : l.names) {
    std::memcpy(at, n.data(), n.size());
    at += n.size();
    *at++ = 0;
  }
  Napi::Array jsNames = Napi::Array::New(env, l.names.size());
  for (size_t i = 0; i < l.names.size(); i++) {
    jsNames.Set(i, NameValue(env, l.names[i]));
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("names", jsNames);
  out.Set("nameBytes", nameBytes);
  out.Set("fields", fields);
  out.Set("stride", Napi::Number::New(env, kFieldCount));
  return out;
}

// scanDirsAsync(paths): each path's listing (or its error, as a value), made one after the
// other on one libuv thread. Handing a thread work costs the main thread ~0.1 ms here (a
// futex wake, and often its core to the thread woken); a batch pays it once.
class ScanManyWorker : public Napi::AsyncWorker {
 public:
  ScanManyWorker(Napi::Env env, std::vector<std::string> paths)
      : Napi::AsyncWorker(env, "haven.scanDirs"),
        paths_(std::move(paths)),
        listings_(paths_.size()),
        deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    for (size_t i = 0; i < paths_.size(); i++) Scan(paths_[i], listings_[i]);
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    Napi::Array out = Napi::Array::New(env, paths_.size());
    for (size_t i = 0; i < paths_.size(); i++) {
      const Listing& l = listings_[i];
      out.Set(i, l.err != 0 ? ErrnoError(env, l.err, l.syscall, paths_[i]).Value() : ToJs(env, l));
    }
    deferred_.Resolve(out);
  }

 private:
  std::vector<std::string> paths_;
  std::vector<Listing> listings_;
  Napi::Promise::Deferred deferred_;
};

Napi::Value ScanDirsAsync(const Napi::CallbackInfo& info) {
  Napi::Array arr = info[0].As<Napi::Array>();
  std::vector<std::string> paths;
  paths.reserve(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); i++) paths.push_back(PathValue(arr.Get(i)));
  auto* worker = new ScanManyWorker(info.Env(), std::move(paths));
  Napi::Promise p = worker->Promise();
  worker->Queue();
  return p;
}

void Register(Napi::Env env, Napi::Object exports) {
  exports.Set("scanDirsAsync", Napi::Function::New(env, ScanDirsAsync, "scanDirsAsync"));
}

}  // namespace

HAVEN_REGISTER("dir-scan", Register);

}  // namespace haven
