{
  "targets": [
    {
      "target_name": "tsnats",
      "sources": [
        "native/binding.cc",
        "native/scanner.cc",
        "native/batcher.cc",
        "native/mask.cc",
        "native/crc32.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native"
      ],
      "defines": [
        "NAPI_DISABLE_CPP_EXCEPTIONS",
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_DEPRECATED"
      ],
      "cflags": ["-O3", "-fvisibility=hidden"],
      "cflags_cc": ["-O3", "-fvisibility=hidden", "-std=c++17"],
      "cflags!": ["-O2", "-fexceptions"],
      "cflags_cc!": ["-O2", "-fexceptions", "-std=gnu++17", "-std=gnu++14", "-std=gnu++1y"],
      "xcode_settings": {
        "GCC_OPTIMIZATION_LEVEL": "3",
        "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
        "GCC_ENABLE_CPP_EXCEPTIONS": "NO",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "MACOSX_DEPLOYMENT_TARGET": "10.15"
      },
      "msvs_settings": {
        "VCCLCompilerTool": {
          "ExceptionHandling": 0,
          "Optimization": 2,
          "AdditionalOptions": ["/std:c++17"]
        }
      }
    }
  ]
}
