// The "restore-at" area (restore-at.cc), reading and setting metadata: the entry's own type,
// owner, mode, times and xattrs, never those of a symlink's target.
#include "restore-at.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

namespace haven {
namespace restore_at {
namespace {

const char* TypeName(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFREG: return "file";
    case S_IFDIR: return "dir";
    case S_IFLNK: return "symlink";
    case S_IFIFO: return "fifo";
    case S_IFCHR: return "chardev";
    case S_IFBLK: return "blockdev";
    default: return "socket";  // S_IFSOCK, the one type left
  }
}

// lstatAt(dirFd, name) -> { type, mode, uid, gid, dev, ino } | null when nothing is there
Napi::Value LstatAt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name;
  if (!NameCall(info, "lstatAt(dirFd: number, name: string | Buffer)", {Arg::Fd, Arg::Path}, "fstatat", name)) {
    return env.Undefined();
  }
  struct stat st;
  if (fstatat(FdAt(info, 0), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return env.Null();
    ThrowErrno(env, errno, "fstatat", name);
    return env.Undefined();
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("type", Napi::String::New(env, TypeName(st.st_mode)));
  out.Set("mode", Napi::Number::New(env, st.st_mode & 07777));
  out.Set("uid", Napi::Number::New(env, st.st_uid));
  out.Set("gid", Napi::Number::New(env, st.st_gid));
  out.Set("dev", Napi::Number::New(env, static_cast<double>(st.st_dev)));
  out.Set("ino", Napi::Number::New(env, static_cast<double>(st.st_ino)));
  return out;
}

// fchownAt(dirFd, name, uid, gid): -1 leaves that id as it is, as in chown(2).
Napi::Value FchownAt(const Napi::CallbackInfo& info) {
  std::string name;
  if (!NameCall(info, "fchownAt(dirFd: number, name: string | Buffer, uid: number, gid: number)",
                {Arg::Fd, Arg::Path, Arg::Number, Arg::Number}, "fchownat", name)) {
    return info.Env().Undefined();
  }
  uid_t uid = static_cast<uid_t>(info[2].As<Napi::Number>().Int64Value());
  gid_t gid = static_cast<gid_t>(info[3].As<Napi::Number>().Int64Value());
  return Result(info.Env(), fchownat(FdAt(info, 0), name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW), "fchownat", name);
}

// fchmodAt(dirFd, name, mode). Linux has no mode on symlinks: glibc then fails with
// EOPNOTSUPP (code ENOTSUP) rather than change the target, and callers skip symlinks.
int ChmodNoFollow(int dirFd, const char* name, mode_t mode) { return fchmodat(dirFd, name, mode, AT_SYMLINK_NOFOLLOW); }

Napi::Value FchmodAt(const Napi::CallbackInfo& info) {
  return CallWithMode(info, "fchmodAt(dirFd: number, name: string | Buffer, mode: number)", "fchmodat", ChmodNoFollow);
}

// utimensAt(dirFd, name, atimeSec, atimeNsec, mtimeSec, mtimeNsec)
Napi::Value UtimensAt(const Napi::CallbackInfo& info) {
  std::string name;
  if (!NameCall(info, "utimensAt(dirFd: number, name: string | Buffer, atimeSec: number, atimeNsec: number, mtimeSec: number, mtimeNsec: number)",
                {Arg::Fd, Arg::Path, Arg::Number, Arg::Number, Arg::Number, Arg::Number}, "utimensat", name)) {
    return info.Env().Undefined();
  }
  struct timespec ts[2] = {TimespecArg(info, 2), TimespecArg(info, 4)};
  return Result(info.Env(), utimensat(FdAt(info, 0), name.c_str(), ts, AT_SYMLINK_NOFOLLOW), "utimensat", name);
}

// An xattr name argument; one with a NUL inside is refused (EINVAL), since the syscall would
// silently set the attribute named by the part before it.
bool XattrNameAt(const Napi::CallbackInfo& info, size_t i, const char* syscall, std::string& out) {
  out = info[i].As<Napi::String>().Utf8Value();
  if (out.find('\0') == std::string::npos) return true;
  ThrowErrno(info.Env(), EINVAL, syscall, out);
  return false;
}

// setXattrAt(dirFd, name, xattrName, value). There is no "lsetxattrat": the path goes
// through /proc/self/fd/<dirFd>, a magic link to exactly the directory we hold, and the l*
// call does not follow the last component. Without /proc that fails (ENOENT); there is no
// fallback to a path the kernel would resolve from the root.
Napi::Value SetXattrAt(const Napi::CallbackInfo& info) {
  std::string name, xattr;
  if (!NameCall(info, "setXattrAt(dirFd: number, name: string | Buffer, xattrName: string, value: Uint8Array)",
                {Arg::Fd, Arg::Path, Arg::String, Arg::Bytes}, "lsetxattr", name) ||
      !XattrNameAt(info, 2, "lsetxattr", xattr)) {
    return info.Env().Undefined();
  }
  std::string path = "/proc/self/fd/" + std::to_string(FdAt(info, 0)) + "/" + name;
  Napi::Uint8Array value = info[3].As<Napi::Uint8Array>();
  return Result(info.Env(), lsetxattr(path.c_str(), xattr.c_str(), value.Data(), value.ByteLength(), 0), "lsetxattr", name);
}

// fsetxattr(fd, xattrName, value): on a file or directory the caller opened.
Napi::Value FdSetXattr(const Napi::CallbackInfo& info) {
  std::string xattr;
  if (!CheckArgs(info, "fsetxattr(fd: number, xattrName: string, value: Uint8Array)", {Arg::Fd, Arg::String, Arg::Bytes}) ||
      !XattrNameAt(info, 1, "fsetxattr", xattr)) {
    return info.Env().Undefined();
  }
  int fd = FdAt(info, 0);
  Napi::Uint8Array value = info[2].As<Napi::Uint8Array>();
  return Result(info.Env(), fsetxattr(fd, xattr.c_str(), value.Data(), value.ByteLength(), 0), "fsetxattr", "fd " + std::to_string(fd));
}

}  // namespace

void RegisterMetadata(Napi::Env env, Napi::Object exports) {
  ExportAll(env, exports, {{"lstatAt", LstatAt}, {"fchownAt", FchownAt}, {"fchmodAt", FchmodAt}, {"utimensAt", UtimensAt},
                           {"setXattrAt", SetXattrAt}, {"fsetxattr", FdSetXattr}});
}

}  // namespace restore_at
}  // namespace haven
