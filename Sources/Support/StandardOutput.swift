#if canImport(Glibc)
import Glibc
#endif

/// Writing text to standard output without copying it: the bytes of the string are written
/// where they are, in chunks, retrying short writes. `FileHandle.write(Data(text.utf8))` made a
/// second copy of every printed string, so printing a 2 GB string needed 4 GB more (issue 18).
public enum StandardOutput {
    /// Writes `text` to file descriptor `fd` (standard output by default). Errors (a closed
    /// pipe) end the write silently, as `print` does.
    public static func write(_ text: String, fd: Int32 = 1) {
        var text = text
        text.withUTF8 { bytes in
            guard var p = bytes.baseAddress else { return }
            var left = bytes.count
            while left > 0 {
                let n = Glibc.write(fd, p, min(left, 1 << 24))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return }
                p += n
                left -= n
            }
        }
    }
}
