; Inno Setup script: the Windows installer of Coordinación Estatal (Inno Setup 6.3 or later).
;
;   iscc installer\windows\coordinacion.iss      (build.ps1 does it, after PyInstaller)
;
; Installs the PyInstaller folder dist\coordinacion for the current user only: no administrator rights
; (office PCs), into %LOCALAPPDATA%\Programs\CoordinacionEstatal. Start-menu shortcut, optional desktop
; shortcut, Spanish wizard, uninstaller in "Aplicaciones instaladas".
;
; User data: the app keeps its database, preferences and log in the user's data folder,
;   %LOCALAPPDATA%\IMSS-BIENESTAR\CoordinacionEstatal   (models/paths.py, platformdirs)
; which this installer never creates, copies or lists, so the uninstaller keeps it: uninstalling or
; reinstalling never deletes data. The uninstaller says where the data folder stays.
;
; Saved as UTF-8 with BOM (accents); paths are relative to this file.

#ifndef AppVersion
  ; build.ps1 passes /DAppVersion=<gui.__version__>; tests/test_installer.py keeps this default equal to it.
  #define AppVersion "0.1.0"
#endif
#ifndef DistDir
  #define DistDir "..\..\dist\coordinacion"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist\instalador"
#endif
#define AppName "Coordinación Estatal"
#define AppPublisher "IMSS-BIENESTAR"
#define AppExe "coordinacion.exe"
#define DataFolder "IMSS-BIENESTAR\CoordinacionEstatal"

[Setup]
; AppId identifies the product for upgrades and the uninstaller: never change it.
AppId={{6B0E4A63-2F4D-4C3B-9A57-1E8C0D5F7A21}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppPublisher}
AppCopyright={#AppPublisher}
VersionInfoVersion={#AppVersion}
VersionInfoCompany={#AppPublisher}
VersionInfoDescription=Instalador de {#AppName}
VersionInfoProductName={#AppName}
VersionInfoProductVersion={#AppVersion}
; Per-user install without administrator rights; {autopf} is then %LOCALAPPDATA%\Programs.
; IT can still install for all users from the command line: setup.exe /ALLUSERS
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=commandline
DefaultDirName={autopf}\CoordinacionEstatal
DisableDirPage=auto
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
UninstallDisplayName={#AppName}
UninstallDisplayIcon={app}\{#AppExe}
SetupIconFile=app.ico
WizardStyle=modern
; Qt 6 runs on 64-bit Windows 10 and later.
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
Compression=lzma2/max
SolidCompression=yes
OutputDir={#OutputDir}
OutputBaseFilename=CoordinacionEstatal-{#AppVersion}-instalador
; Close a running copy before replacing its files (Restart Manager).
CloseApplications=yes
RestartApplications=no
ShowLanguageDialog=no

[Languages]
Name: "spanish"; MessagesFile: "compiler:Languages\Spanish.isl"

[CustomMessages]
spanish.DataKept=Sus datos no se borraron. La base de datos, las preferencias y la bitácora siguen en:%n%n%1%n%nSi vuelve a instalar la aplicación, los encontrará ahí.

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; An upgrade replaces the whole runtime: stale Qt plugins or libraries of an older version must not stay
; beside the new ones. Only the program folder; never the data folder.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
; The PyInstaller one-folder build: coordinacion.exe (windowed), coordinacion-cli.exe (console, for the
; headless subcommands) and _internal\ (Python, Qt, the app's resources and catalogue).
Source: "{#DistDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{userdocs}"; Comment: "Registro de establecimientos, regionalización, apertura en fin de semana y autorizaciones sanitarias"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{userdocs}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

; No [UninstallDelete] entry: the uninstaller removes only what [Files] installed, so the data folder
; (%LOCALAPPDATA%\IMSS-BIENESTAR\CoordinacionEstatal) is kept.

[Code]
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  DataDir: String;
begin
  if CurUninstallStep = usPostUninstall then
  begin
    DataDir := ExpandConstant('{localappdata}\{#DataFolder}');
    if DirExists(DataDir) and not UninstallSilent then
      MsgBox(FmtMessage(CustomMessage('DataKept'), [DataDir]), mbInformation, MB_OK);
  end;
end;
