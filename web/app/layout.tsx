import type { Metadata } from "next";
import "./globals.css";

export const metadata: Metadata = {
  title: "chatd",
  description: "Web client of chatd",
};

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body className="h-screen antialiased">{children}</body>
    </html>
  );
}
