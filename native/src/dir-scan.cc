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
#include <vector>

namespace haven {
namespace {

// Per entry, in this order (all exact in a double: 32-bit halves for 64-bit fields).
enum Field {
  kErrno, kMode, kUid, kGid, kNlink, kSizeHi, kSizeLo, kDevHi, kDevLo, kInoHi, kInoLo, kRdevHi, kRdevLo,
  kMtimeSec, kMtimeNsec, kCtimeSec, kCtimeNsec, kBlocks, kFieldCount
};

bool ValidUtf8(const std::string& s) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size(), i = 0;
  while (i < n) {
    unsigned char c = p[i];
    size_t len;
    uint32_t cp;
    if (c < 0x80) { i++; continue; }
    if ((c & 0xe0) == 0xc0) { len = 2; cp = c & 0x1f; }
    else if ((c & 0xf0) == 0xe0) { len = 3; cp = c & 0x0f; }
    else if ((c & 0xf8) == 0xf0) { len = 4; cp = c & 0x07; }
    else return false;
    if (i + len > n) return false;
    for (size_t k = 1; k < len; k++) {
      if ((p[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3f);
    }
    // overlong forms, surrogates and values past U+10FFFF are not UTF-8
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

void Put64(double* f, int hi, int lo, uint64_t v) {
  f[hi] = static_cast<double>(v >> 32);
  f[lo] = static_cast<double>(v & 0xffffffffu);
}

// scanDir(path) -> { names: Array<string | Buffer>, fields: Float64Array, stride }
Napi::Value ScanDir(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = PathArg(info, 0);
  int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    ThrowErrno(env, errno, "opendir", path);
    return env.Undefined();
  }
  DIR* dir = fdopendir(fd);
  if (!dir) {
    int err = errno;
    close(fd);
    ThrowErrno(env, err, "opendir", path);
    return env.Undefined();
  }
  std::vector<std::string> names;
  errno = 0;
  for (struct dirent* d; (d = readdir(dir)) != nullptr;) {
    const char* n = d->d_name;
    if (n[0] == '.' && (n[1] == 0 || (n[1] == '.' && n[2] == 0))) continue;
    names.emplace_back(n);
  }
  if (errno != 0) {
    int err = errno;
    closedir(dir);
    ThrowErrno(env, err, "readdir", path);
    return env.Undefined();
  }
  std::sort(names.begin(), names.end());  // std::string compares bytes as unsigned char: the tree order
  Napi::Float64Array fields = Napi::Float64Array::New(env, names.size() * kFieldCount);
  Napi::Array jsNames = Napi::Array::New(env, names.size());
  for (size_t i = 0; i < names.size(); i++) {
    double* f = fields.Data() + i * kFieldCount;
    struct stat st;
    if (fstatat(fd, names[i].c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      f[kErrno] = errno;  // vanished between readdir and stat: the walker reports and skips it
    } else {
      f[kErrno] = 0;
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
      f[kBlocks] = static_cast<double>(st.st_blocks);
    }
    const std::string& n = names[i];
    if (ValidUtf8(n)) jsNames.Set(i, Napi::String::New(env, n));
    else jsNames.Set(i, Napi::Buffer<char>::Copy(env, n.data(), n.size()));
  }
  closedir(dir);
  Napi::Object out = Napi::Object::New(env);
  out.Set("names", jsNames);
  out.Set("fields", fields);
  out.Set("stride", Napi::Number::New(env, kFieldCount));
  return out;
}

void Register(Napi::Env env, Napi::Object exports) {
  exports.Set("scanDir", Napi::Function::New(env, ScanDir, "scanDir"));
}

}  // namespace

HAVEN_REGISTER("dir-scan", Register);

}  // namespace haven
