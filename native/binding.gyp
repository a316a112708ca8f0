{
  "targets": [
    {
      "target_name": "piccolo_pbkdf2",
      "sources": ["pbkdf2.c", "pbkdf2-core.c", "sha256.c", "sha256-x86.c", "sha256-arm.c"],
      "cflags": ["-O3", "-std=c11"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O3"] },
      "conditions": [
        ["OS in 'linux freebsd openbsd solaris'", { "ldflags": ["-Wl,-z,now"] }]
      ]
    }
  ]
}
