// The enrollment QR code, drawn here as SVG by `uqr` (no dependencies, no canvas, no network): the
// otpauth URI holds the TOTP secret, so it must never be sent to a QR service.
import { renderSVG } from "uqr";

/** An SVG document of `text` as a QR code (error correction M, a 4-module quiet zone). */
export function qrCodeSvg(text: string): string {
  return renderSVG(text, { ecc: "M", border: 4 });
}
