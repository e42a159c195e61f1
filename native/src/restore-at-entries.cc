// The "restore-at" area (restore-at.cc), creating and removing entries: every call names
// one component below a directory descriptor, and none follows a link at that name.
#include "restore-at.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <utility>
#include <vector>

namespace haven {
namespace restore_at {
namespace {

Napi::Value MkdirAt(const Napi::CallbackInfo& info) {
  return CallWithMode(info, "mkdirAt(dirFd: number, name: string | Buffer, mode: number)", "mkdirat", mkdirat);
}

Napi::Value MkfifoAt(const Napi::CallbackInfo& info) {
  return CallWithMode(info, "mkfifoAt(dirFd: number, name: string | Buffer, mode: number)", "mkfifoat", mkfifoat);
}

// mknodAt(dirFd, name, mode including S_IFCHR/S_IFBLK, rdev as fs.Stats reports it)
Napi::Value MknodAt(const Napi::CallbackInfo& info) {
  std::string name;
  if (!NameCall(info, "mknodAt(dirFd: number, name: string | Buffer, mode: number, rdev: number)",
                {Arg::Fd, Arg::Path, Arg::Number, Arg::Number}, "mknodat", name)) {
    return info.Env().Undefined();
  }
  mode_t mode = static_cast<mode_t>(info[2].As<Napi::Number>().Uint32Value());
  dev_t rdev = static_cast<dev_t>(info[3].As<Napi::Number>().Int64Value());
  return Result(info.Env(), mknodat(FdAt(info, 0), name.c_str(), mode, rdev), "mknodat", name);
}

// Like Node's link and symlink errors: `path` is the existing side, `dest` the new name.
Napi::Value ResultWithDest(Napi::Env env, int rc, const char* syscall, const std::string& path, const std::string& dest) {
  if (rc == 0) return env.Undefined();
  Napi::Error e = ErrnoError(env, errno, syscall, path);
  e.Set("dest", Napi::String::New(env, dest));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

// symlinkAt(target, dirFd, name): the target is stored as given (any bytes but NUL), never resolved here.
Napi::Value SymlinkAt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name;
  if (!CheckArgs(info, "symlinkAt(target: string | Buffer, dirFd: number, name: string | Buffer)", {Arg::Path, Arg::Fd, Arg::Path}) ||
      !NameAt(info, 2, "symlinkat", name)) {
    return env.Undefined();
  }
  std::string target = PathArg(info, 0);
  if (target.find('\0') != std::string::npos) {
    ThrowErrno(env, EINVAL, "symlinkat", target);
    return env.Undefined();
  }
  return ResultWithDest(env, symlinkat(target.c_str(), FdAt(info, 1), name.c_str()), "symlinkat", target, name);
}

// linkAt(oldDirFd, oldName, newDirFd, newName): flags 0, so a symlink at oldName is linked itself.
Napi::Value LinkAt(const Napi::CallbackInfo& info) {
  std::string oldName, newName;
  if (!CheckArgs(info, "linkAt(oldDirFd: number, oldName: string | Buffer, newDirFd: number, newName: string | Buffer)",
                 {Arg::Fd, Arg::Path, Arg::Fd, Arg::Path}) ||
      !NameAt(info, 1, "linkat", oldName) || !NameAt(info, 3, "linkat", newName)) {
    return info.Env().Undefined();
  }
  int rc = linkat(FdAt(info, 0), oldName.c_str(), FdAt(info, 2), newName.c_str(), 0);
  return ResultWithDest(info.Env(), rc, "linkat", oldName, newName);
}

// unlinkAt(dirFd, name, isDir)
Napi::Value UnlinkAt(const Napi::CallbackInfo& info) {
  std::string name;
  if (!NameCall(info, "unlinkAt(dirFd: number, name: string | Buffer, isDir: boolean)", {Arg::Fd, Arg::Path, Arg::Bool},
                "unlinkat", name)) {
    return info.Env().Undefined();
  }
  int flags = info[2].As<Napi::Boolean>().Value() ? AT_REMOVEDIR : 0;
  return Result(info.Env(), unlinkat(FdAt(info, 0), name.c_str(), flags), "unlinkat", name);
}

// --- removeTreeAt ------------------------------------------------------------------------

// Bounds the recursion (one stack frame and one open descriptor a level): a snapshot or a
// target nested deeper than this is refused with EMLINK rather than exhausting either.
constexpr int kMaxDepth = 4096;

struct Failure {
  int err = 0;
  const char* syscall = "";
  std::string path;
};

bool Fail(Failure& f, int err, const char* syscall, const std::string& path) {
  f = {err, syscall, path};
  return false;
}

struct Child {
  std::string name;
  bool isDir;  // from d_type; DT_UNKNOWN counts as not, and unlinkat's EISDIR corrects it
};

// Every entry of the directory open at fd, read to the end before anything is removed (some
// filesystems skip entries when the directory changes under readdir). fdopendir takes the
// descriptor it gets, so it gets a duplicate: fd stays ours for the unlinkat calls.
bool ListChildren(int fd, const std::string& shown, std::vector<Child>& out, Failure& f) {
  int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return Fail(f, errno, "fcntl", shown);
  DIR* dir = fdopendir(copy);
  if (dir == nullptr) {
    int err = errno;
    close(copy);
    return Fail(f, err, "fdopendir", shown);
  }
  errno = 0;
  while (struct dirent* d = readdir(dir)) {
    std::string name = d->d_name;
    if (name != "." && name != "..") out.push_back({std::move(name), d->d_type == DT_DIR});
    errno = 0;
  }
  int err = errno;
  closedir(dir);
  return err == 0 || Fail(f, err, "readdir", shown);
}

// Removes `name` below parent without following it; `shown` is its path from the top
// (extended and restored in place, so a deep tree costs no quadratic copying).
bool RemoveEntry(int parent, const std::string& name, bool isDir, std::string& shown, int depth, Failure& f) {
  if (!isDir) {
    if (unlinkat(parent, name.c_str(), 0) == 0 || errno == ENOENT) return true;  // gone is gone
    if (errno != EISDIR) return Fail(f, errno, "unlinkat", shown);
  }
  if (depth >= kMaxDepth) return Fail(f, EMLINK, "openat", shown);
  int fd = openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT || Fail(f, errno, "openat", shown);
  std::vector<Child> children;
  bool ok = ListChildren(fd, shown, children, f);
  for (size_t i = 0; ok && i < children.size(); i++) {
    size_t keep = shown.size();
    shown += "/" + children[i].name;
    ok = RemoveEntry(fd, children[i].name, children[i].isDir, shown, depth + 1, f);
    if (ok) shown.resize(keep);
  }
  close(fd);
  if (!ok) return false;
  if (unlinkat(parent, name.c_str(), AT_REMOVEDIR) == 0 || errno == ENOENT) return true;
  return Fail(f, errno, "unlinkat", shown);
}

// removeTreeAt(dirFd, name): whatever is at name, a directory with all below it; nothing there is no error.
Napi::Value RemoveTreeAt(const Napi::CallbackInfo& info) {
  std::string name;
  if (!NameCall(info, "removeTreeAt(dirFd: number, name: string | Buffer)", {Arg::Fd, Arg::Path}, "unlinkat", name)) {
    return info.Env().Undefined();
  }
  std::string shown = name;
  Failure f;
  if (!RemoveEntry(FdAt(info, 0), name, false, shown, 0, f)) ThrowErrno(info.Env(), f.err, f.syscall, f.path);
  return info.Env().Undefined();
}

}  // namespace

void RegisterEntries(Napi::Env env, Napi::Object exports) {
  ExportAll(env, exports, {{"mkdirAt", MkdirAt}, {"mkfifoAt", MkfifoAt}, {"mknodAt", MknodAt}, {"symlinkAt", SymlinkAt},
                           {"linkAt", LinkAt}, {"unlinkAt", UnlinkAt}, {"removeTreeAt", RemoveTreeAt}});
}

}  // namespace restore_at
}  // namespace haven
