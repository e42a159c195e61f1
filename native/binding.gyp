# The Haven N-API addon (DESIGN section 1). One target; every area is its own source file
# that registers its functions through HAVEN_REGISTER (src/registry.h). To add an area,
# add its .cc file to "sources" below and its TypeScript signature to
# core/src/native/addon.ts; nothing else needs to change (see README.md here).
{
  'targets': [
    {
      'target_name': 'haven_native',
      'sources': [
        'src/addon.cc',
        'src/chunker.cc',
        'src/xattrs.cc',
        'src/special-files.cc',
        'src/file-times.cc',
        'src/dir-scan.cc',
        'src/sd-notify.cc',
        'src/copy-bytes.cc',
        'src/crc32.cc',
        'src/restore-at.cc',
        'src/restore-at-entries.cc',
        'src/restore-at-metadata.cc',
        'src/names.cc',
        'src/inotify.cc',
        'src/file-holes.cc',
      ],
      'include_dirs': ["<!(node -p \"require('node-addon-api').include_dir\")"],
      'defines': ['NAPI_VERSION=8', 'NAPI_DISABLE_CPP_EXCEPTIONS', 'NODE_ADDON_API_DISABLE_DEPRECATED', 'NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS'],
      'cflags+': ['-fvisibility=hidden', '-O3'],
      'cflags_cc+': ['-std=c++17', '-O3'],
    },
  ],
}
