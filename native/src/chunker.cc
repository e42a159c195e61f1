// FastCDC cut-point search (docs/FORMAT.md, "Chunking"): the same algorithm as
// core/src/chunker/fastcdc.ts, which is the reference; a test holds the two to identical
// cut points. The gear table is derived in TypeScript and handed in, so the derivation
// exists once.
#include "registry.h"

#include <cstdint>

namespace haven {
namespace {

class FastCdc : public Napi::ObjectWrap<FastCdc> {
 public:
  static void Register(Napi::Env env, Napi::Object exports) {
    Napi::Function ctor = DefineClass(env, "FastCdc", {InstanceMethod("cut", &FastCdc::Cut)});
    exports.Set("FastCdc", ctor);
  }

  // new FastCdc(gear: Uint32Array(256), minSize, avgSize, maxSize, maskS, maskL)
  explicit FastCdc(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FastCdc>(info) {
    Napi::Env env = info.Env();
    if (info.Length() != 6 || !info[0].IsTypedArray()) {
      Napi::TypeError::New(env, "FastCdc(gear, minSize, avgSize, maxSize, maskS, maskL)").ThrowAsJavaScriptException();
      return;
    }
    Napi::TypedArray arr = info[0].As<Napi::TypedArray>();
    if (arr.TypedArrayType() != napi_uint32_array || arr.ElementLength() != 256) {
      Napi::TypeError::New(env, "gear must be a Uint32Array of 256 entries").ThrowAsJavaScriptException();
      return;
    }
    Napi::Uint32Array gear = info[0].As<Napi::Uint32Array>();
    for (size_t i = 0; i < 256; i++) gear_[i] = gear[i];
    min_ = info[1].As<Napi::Number>().Int64Value();
    avg_ = info[2].As<Napi::Number>().Int64Value();
    max_ = info[3].As<Napi::Number>().Int64Value();
    mask_s_ = info[4].As<Napi::Number>().Uint32Value();
    mask_l_ = info[5].As<Napi::Number>().Uint32Value();
  }

 private:
  // cut(buf: Uint8Array, start, end) -> length of the chunk that begins at start, treating
  // [start, end) as all remaining bytes of the stream (the caller supplies at least maxSize
  // bytes unless the stream ends at end).
  Napi::Value Cut(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() != 3 || !info[0].IsTypedArray()) {
      Napi::TypeError::New(env, "cut(buf, start, end)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Uint8Array buf = info[0].As<Napi::Uint8Array>();
    int64_t start = info[1].As<Napi::Number>().Int64Value();
    int64_t end = info[2].As<Napi::Number>().Int64Value();
    if (start < 0 || end < start || static_cast<size_t>(end) > buf.ElementLength()) {
      Napi::RangeError::New(env, "cut: range outside the buffer").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    return Napi::Number::New(env, static_cast<double>(Find(buf.Data() + start, end - start)));
  }

  int64_t Find(const uint8_t* p, int64_t n) const {
    if (n <= min_) return n;
    int64_t limit = n < max_ ? n : max_;
    int64_t normal = avg_ < limit ? avg_ : limit;
    uint32_t h = 0;
    int64_t i = min_;
    for (; i < normal; i++) {
      h = (h << 1) + gear_[p[i]];
      if ((h & mask_s_) == 0) return i + 1;
    }
    for (; i < limit; i++) {
      h = (h << 1) + gear_[p[i]];
      if ((h & mask_l_) == 0) return i + 1;
    }
    return limit;
  }

  uint32_t gear_[256];
  int64_t min_ = 0, avg_ = 0, max_ = 0;
  uint32_t mask_s_ = 0, mask_l_ = 0;
};

}  // namespace

HAVEN_REGISTER("chunker", FastCdc::Register);

}  // namespace haven
