/** @type {import('next').NextConfig} */
const nextConfig = {
  // A static export (web/out) that chatd serves at / on its own origin.
  output: "export",
  images: { unoptimized: true },
  // The project lints TypeScript with tsc during the build; no ESLint here.
  eslint: { ignoreDuringBuilds: true },
  poweredByHeader: false,
};

export default nextConfig;
