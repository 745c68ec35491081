// The spoken languages offered by the Language preference and the Transcribe form (package.json's preference lists
// the same; a test checks). Whisper knows more: any of its codes works from the command line.
export const LANGUAGES: readonly { value: string; title: string }[] = [
  { value: "auto", title: "Detect Automatically" },
  { value: "ar", title: "Arabic" },
  { value: "zh", title: "Chinese" },
  { value: "cs", title: "Czech" },
  { value: "nl", title: "Dutch" },
  { value: "en", title: "English" },
  { value: "fr", title: "French" },
  { value: "de", title: "German" },
  { value: "hi", title: "Hindi" },
  { value: "id", title: "Indonesian" },
  { value: "it", title: "Italian" },
  { value: "ja", title: "Japanese" },
  { value: "ko", title: "Korean" },
  { value: "pl", title: "Polish" },
  { value: "pt", title: "Portuguese" },
  { value: "ru", title: "Russian" },
  { value: "es", title: "Spanish" },
  { value: "sv", title: "Swedish" },
  { value: "tr", title: "Turkish" },
  { value: "uk", title: "Ukrainian" },
];
