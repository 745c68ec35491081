// Every command's usage, as `verbatim --help` and `verbatim COMMAND --help` print it: here, apart from the commands'
// modules, so that help loads none of them (each command's module is loaded only when it runs).
import { DEFAULT_FINISHING_ENDPOINT } from "../protocol";
import { DECODING_USAGE } from "./decoding-flags";
import { EXIT } from "./exit-codes";

export const TRANSCRIBE_USAGE = `  verbatim transcribe [options] FILE…     transcribe audio or video files
      --model ID|PATH        model alias (e.g. large-v3-turbo, base.en-8bit, parakeet-v3), hub repo id or local folder
      --backend auto|cpu|mlx engine backend (with --no-daemon; the daemon's is set in its config)
      --language CODE        spoken language (default: detected)
      --task transcribe|translate
      --word-timestamps      time every word: one cue per word in SRT and VTT, "words" in JSON
      --speakers N|auto      tell speakers apart (config speakerModel, downloaded on first use): "Speaker 1: "
                             lines in text, prefixes in SRT, <v> voice tags in VTT, "speaker" in JSON; N keeps the
                             N who speak longest (the others' words go to the nearest kept speaker), auto all it
                             finds (up to 8); the output comes once the whole file is done
      --prompt TEXT          names, spelling or style to condition the transcript on
      --vad                  decode only the speech a voice activity detector finds: silence and noise give no text
                             (the default, unless the config sets fileVad to false)
      --no-vad               decode all of the audio
      --clip-timestamps START,END,…
                             decode only these clips (seconds; a last START runs to the end), as openai's
                             clip_timestamps; no voice activity detection then
      --hallucination-silence-threshold SECONDS
                             drop doubtful text with more than SECONDS of silence around it and decode on after it,
                             as openai's hallucination_silence_threshold (words are timed to judge it)
${DECODING_USAGE}      --format text|srt|vtt|json
                             several files: text has a "==> FILE <==" line before each file's, JSON one object
                             per file (with "file"), VTT one document per file named in a NOTE; SRT, which has
                             no comments, needs --output-dir
      --output-dir DIR       write each file's transcript into DIR instead, named after the file (.txt, .srt,
                             .vtt or .json; an existing one is replaced), and print the paths written
      --no-daemon            run the engine in this process instead of the daemon
`;

export const DICTATE_USAGE = `  verbatim dictate [options]             live dictation from the microphone; Enter or Ctrl-C stops and prints
                                         the text, Esc or Ctrl-\\ cancels
      --input FILE           stream an audio file at real-time pace instead of the microphone
      --fast                 with --input: send the file as fast as the daemon takes it
      --device NAME|INDEX    microphone (see verbatim capture --list-devices)
      --auto-stop SECONDS    after speech, stop by itself once SECONDS pass without speech (default: config
                             autoStopSeconds; 0: only on Enter or Ctrl-C)
      --mode NAME            the mode (verbatim modes list): its model, language and finishing; default: the
                             default mode (Plain)
      --json                 every event as one JSON line, then the transcript as --format json prints it
                             (with "finishing" when the mode finishes it: the spoken and the finished text)
      --model, --language, --prompt   as for transcribe
      --accuracy, --beam-size, --best-of, --patience, --length-penalty, --…-threshold
                             as for transcribe: how the final text is decoded (live text is always greedy)
  Prints nothing and exits with status ${EXIT.noSpeech} when it heard no speech. A dictation that ends early
  (maxDictationSeconds, canceled by another client, the daemon stopped) prints its text so far and says why.
`;

export const MEETING_USAGE = `  verbatim meeting start [--microphone NAME] [--system NAME]
                                         record a meeting: the microphone (You) and the system's audio (the
                                         others; default: a Mac's Core Audio tap, or Linux's one monitor
                                         source), each to disk
  verbatim meeting status [--json]       the meeting recording now
  verbatim meeting stop [--json|--format srt|vtt] [--mode NAME]
                                         stop it and print its transcript with speakers (--json: segments with
                                         speaker and text, and the tracks' files; --format: subtitles with names;
                                         --mode: that mode's local model writes notes from the transcript)
  verbatim meeting list [--json]         the meetings on disk (one the daemon's end interrupted keeps its tracks)
  verbatim meeting transcribe ID [--json|--format srt|vtt] [--mode NAME]
                                         make a meeting's transcript from its tracks
`;

export const DICTATIONS_USAGE = `  verbatim dictations list               the running dictation, and recordings of dictations that did not
                                         deliver their text
  verbatim dictations retry ID           transcribe one of them (prints its text)
  verbatim dictations stop [ID]          stop a dictation (default: the running one) and print its final text
  verbatim dictations cancel [ID]        cancel it: no text
  verbatim dictations attach [ID]        follow it (default: the running one, else the latest) and print its
                                         final text; Ctrl-C leaves it running
`;

export const VOCABULARY_USAGE = `  verbatim vocabulary list [--json]      your terms and replacements (* marks the terms in the decoder prompt)
  verbatim vocabulary add TERM           a name or word the recognizer should expect (most recent first in the prompt)
  verbatim vocabulary add --replace FROM --with TO [--case keep|exact]
                                         write TO wherever the words FROM are recognized (any case; keep: TO takes
                                         FROM's capitalization; exact: only FROM as written)
  verbatim vocabulary rm TERM | rm --replace FROM
                                         remove a term or a replacement
  verbatim vocabulary strength N|default how strongly a model that boosts terms (Parakeet, Nemotron) favours them:
                                         0 (not at all) to 50; default 4
`;

export const MODES_USAGE = `  verbatim modes list [--json]           the modes: which apps use each, its model, language and finishing
  verbatim modes add NAME [mode options] a new mode
  verbatim modes edit NAME [mode options]
                                         change a mode (an empty value clears an optional one: --model "")
  verbatim modes rm NAME                 remove a mode
      --apps ID,…            bundle ids of the apps the mode is for (com.apple.mail)
      --model M, --language L
                             the model and language of its dictations (default: the daemon's)
      --finishing none|raycast|local
                             who finishes the text: nobody, Raycast AI (Raycast's cloud service; only Raycast
                             runs it) or a local model through an OpenAI-compatible API
      --endpoint URL         local: the API (default ${DEFAULT_FINISHING_ENDPOINT}, Ollama); the text goes
                             there, so another host means it leaves this machine
      --model-name NAME      local: the model the server runs (llama3.2)
      --instruction TEXT     what finishing makes of the text
      --deliver paste|copy|paste-return
                             what Raycast does with the text
      --selection context|edit
                             Raycast's Dictate and Toggle Dictation read the text selected in the app: its words
                             are expected in this dictation (context), or the finishing engine edits it as you
                             say and the result replaces it (edit); "" (the default): it is not read
`;

export const HISTORY_USAGE = `  verbatim history [--search TEXT] [--limit N] [--json]
                                         kept transcripts, newest first (search: every word, the last as a prefix)
  verbatim history show ID [--json]      one transcript in full, with its timed segments (a finished dictation:
                                         the finished text and the spoken text)
  verbatim history rm ID [--yes]         delete one transcript: names it and asks first
  verbatim history rm --before DATE [--yes]
                                         delete all finished before DATE (YYYY-MM-DD: local midnight; or an ISO
                                         8601 date and time): says how many and asks first
                                         (both: without a terminal to ask on, delete only with --yes)
  verbatim history export [--format markdown|json]
                                         every kept transcript, to standard output
  verbatim history speakers ID [N=NAME …] [--json]
                                         a transcript's speakers; N=NAME calls speaker N NAME in every export and
                                         show (N= gives back "Speaker N")
`;

export const STATUS_USAGE = `  verbatim status [--json]               the daemon's model, backend, memory and queue
`;

export const DOCTOR_USAGE = `  verbatim doctor                        check this install (node, engine, daemon, folders, config, models,
                                         finishing, microphone, login service) and say what to do about each
                                         problem
`;

export const DAEMON_USAGE = `  verbatim daemon start|stop|status      run or stop the background daemon
  verbatim daemon install|uninstall      start the daemon at login (LaunchAgent; systemd user unit on Linux)
  verbatim daemon restart                restart the daemon
`;

export const MODELS_USAGE = `  verbatim models list|pull ID|rm ID     the catalog (download size, memory, languages, which is in use) and the
                                         models in the Hugging Face cache
  verbatim models pull ID --quantize 8bit|4bit
                                         a Parakeet or Nemotron model (parakeet-v3, -v2, -110m, nemotron-streaming-en,
                                         nemotron-3.5) to load packed to 8 or 4 bits, as ID-8bit or ID-4bit: the same
                                         download, about a half or a quarter of the memory of 16 bits
  verbatim models use ID                 the model jobs without --model use (saved in config.json); a job's own
                                         --model applies to that job alone
`;

export const API_USAGE = `  verbatim api on [--port N] [--host ADDRESS] [--tls | --no-tls] [--tls-port N] [--allow-origin ORIGIN]…
                                         serve the OpenAI-compatible API (loopback, port 8178, unless given);
                                         --tls adds HTTPS on a port of its own (--tls-port, else the port + 1)
                                         beside plain HTTP;
                                         --allow-origin app://obsidian.md lets that app's pages read answers
                                         (CORS; --allow-origin none: no origin, as by default)
  verbatim api off                       stop serving it
  verbatim api token [--rotate]          print its bearer token (--rotate: replace it; the old one stops working)
`;

export const MCP_USAGE = `  verbatim mcp                           an MCP server on stdio: assistants search and read the history, transcribe files
`;

export const CAPTURE_SUMMARY = `  verbatim capture --list-devices        the microphones (input devices), by index
  verbatim capture --keep-ready MINUTES  keep the microphone open after each dictation, so the next loses
                                         nothing at its start (0: off)
  verbatim capture --session ID [--device NAME|INDEX]
                                         record the microphone into a running dictation
`;

export const CAPTURE_USAGE = `Usage:
  verbatim capture --session ID [--device NAME|INDEX]   record the microphone into a dictation session
                                                        (default: config inputDevice, else the system's input);
                                                        --session -: record at once, into the session named on
                                                        standard input once it exists (--session-wait SECONDS:
                                                        how long for it, default 30, then exit 5)
  verbatim capture --ready [--device NAME|INDEX]        keep the microphone ready for the next dictation while
                                                        keepMicrophoneReadyMinutes allows (dictate leaves one so)
  verbatim capture --keep-ready MINUTES                 keep the microphone open MINUTES after each dictation,
                                                        holding its last 4 s, so the next loses nothing at its
                                                        start (0: off, the default; saved in config.json)
  verbatim capture --meeting-track ID [--device NAME|INDEX | --system-tap]
                                                        record a device into a meeting's track (verbatim meeting
                                                        start runs two: the microphone and the system's audio);
                                                        --system-tap: the system's audio through a Core Audio
                                                        tap (macOS 14.2 and later; no loopback device needed)
  verbatim capture --list-devices                       the input devices, by index
  verbatim capture --probe [--device NAME|INDEX]        record half a second from the input, as a dictation
                                                        would; print its name, then how many of the samples it
                                                        recorded were not zero (none: no sound reaches Verbatim)
`;
